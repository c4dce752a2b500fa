public import Primitives

/// A validator's position in its `ValidatorSet` (the canonical order: ascending public key).
public typealias ValidatorIndex = UInt32

/// One member of a validator set: its signing key, its VRF key and its voting stake.
public struct Validator: Hashable, Sendable {
    /// The Ed25519 key that signs proposals, votes and timeouts.
    public let publicKey: Ed25519.PublicKey
    /// The key whose RFC 9381 VRF proofs seed the leader schedule.
    public let vrfPublicKey: Ed25519.PublicKey
    /// Voting power (staked SWR base units, or any positive weight).
    public let stake: UInt64

    /// A validator with a positive stake.
    public init(publicKey: Ed25519.PublicKey, vrfPublicKey: Ed25519.PublicKey, stake: UInt64) {
        self.publicKey = publicKey
        self.vrfPublicKey = vrfPublicKey
        self.stake = stake
    }
}

extension Validator: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(publicKey)
        encoder.write(vrfPublicKey)
        encoder.write(stake)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        publicKey = try decoder.read(Ed25519.PublicKey.self)
        vrfPublicKey = try decoder.read(Ed25519.PublicKey.self)
        stake = try decoder.read(UInt64.self)
    }
}

/// The validators of an epoch, in canonical order, with their total stake and quorum threshold.
///
/// A quorum is any set of validators holding strictly more than two thirds of the total stake.
public struct ValidatorSet: Hashable, Sendable {
    /// The validators, ordered by ascending public key; `ValidatorIndex` indexes this array.
    public let validators: [Validator]
    /// The sum of all stakes.
    public let totalStake: UInt64
    /// SHA-256 of the canonical encoding: what block headers commit to.
    public let hash: Hash
    private let indexByKey: [Ed25519.PublicKey: ValidatorIndex]

    /// The most validators a set may hold (indices are 32-bit, certificates list signers).
    public static let maximumSize = 10_000

    /// A set from validators in any order.
    /// - Throws: `ValidatorSetError` for an empty set, a zero stake, a repeated key, too many
    ///   validators or a total stake that overflows.
    public init(_ validators: [Validator]) throws(ValidatorSetError) {
        guard !validators.isEmpty else { throw .empty }
        guard validators.count <= Self.maximumSize else { throw .tooLarge(validators.count) }
        let sorted = validators.sorted { $0.publicKey < $1.publicKey }
        var total: UInt64 = 0
        var index: [Ed25519.PublicKey: ValidatorIndex] = [:]
        for (position, validator) in sorted.enumerated() {
            guard validator.stake > 0 else { throw .zeroStake(validator.publicKey) }
            guard index.updateValue(ValidatorIndex(position), forKey: validator.publicKey) == nil else {
                throw .duplicateKey(validator.publicKey)
            }
            let (sum, overflow) = total.addingReportingOverflow(validator.stake)
            guard !overflow else { throw .stakeOverflow }
            total = sum
        }
        self.validators = sorted
        self.totalStake = total
        self.indexByKey = index
        var encoder = CanonicalEncoder()
        encoder.write(sorted)
        self.hash = Hashing.sha256(encoder.bytes)
    }

    /// The number of validators.
    public var count: Int { validators.count }

    /// The index of the validator with `publicKey`, if it is a member.
    public func index(of publicKey: Ed25519.PublicKey) -> ValidatorIndex? { indexByKey[publicKey] }

    /// The validator at `index`, or nil when out of range.
    public subscript(index: ValidatorIndex) -> Validator? {
        Int(index) < validators.count ? validators[Int(index)] : nil
    }

    /// True when `stake` is strictly more than two thirds of the total (a quorum).
    public func isQuorum(_ stake: UInt64) -> Bool {
        // 3·stake > 2·total, in 128-bit arithmetic so large stakes cannot overflow.
        let left = stake.multipliedFullWidth(by: 3)
        let right = totalStake.multipliedFullWidth(by: 2)
        return (left.high, left.low) > (right.high, right.low)
    }

    /// True when `stake` is strictly more than one third of the total: at least one honest validator.
    public func exceedsOneThird(_ stake: UInt64) -> Bool {
        let left = stake.multipliedFullWidth(by: 3)
        return (left.high, left.low) > (0, totalStake)
    }
}

/// Why a list of validators is not a valid set.
public enum ValidatorSetError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case tooLarge(Int)
    case zeroStake(Ed25519.PublicKey)
    case duplicateKey(Ed25519.PublicKey)
    case stakeOverflow

    public var description: String {
        switch self {
        case .empty: "a validator set needs at least one validator"
        case .tooLarge(let count): "\(count) validators exceed the maximum of \(ValidatorSet.maximumSize)"
        case .zeroStake(let key): "validator \(key) has zero stake"
        case .duplicateKey(let key): "validator key \(key) appears twice"
        case .stakeOverflow: "the total stake overflows 64 bits"
        }
    }
}
