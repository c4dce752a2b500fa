public import Primitives

/// A member of the settlement committee: an L1 validator's two signing keys and its stake weight.
public struct CommitteeMember: Sendable, Hashable {
    /// The secp256k1 key's address (what `ecrecover` returns on EVM chains).
    public let evmAddress: EthereumAddress
    /// The Ed25519 key (what Solana's Ed25519 program checks).
    public let ed25519Key: Ed25519.PublicKey
    /// Stake weight, above zero.
    public let weight: UInt64

    public init(evmAddress: EthereumAddress, ed25519Key: Ed25519.PublicKey, weight: UInt64) {
        self.evmAddress = evmAddress
        self.ed25519Key = ed25519Key
        self.weight = weight
    }
}

/// The committee that attests settlement batches: members with stake weights and the threshold
/// weight a quorum must reach (more than two thirds of the total).
///
/// Members are kept in ascending order of EVM address: the order the contract's committee hash
/// and its ascending-signer rule use.
public struct Committee: Sendable, Hashable {
    /// The most members (the contract's bound).
    public static let maximumMembers = 128

    /// Counts rotations: the committee at deployment is epoch 0.
    public let epoch: UInt64
    /// Members in ascending EVM address order.
    public let members: [CommitteeMember]
    /// The weight a quorum needs.
    public let threshold: UInt64

    /// A committee.
    /// - Throws: `SettlementError.invalidCommittee` for no or too many members, a repeated key, a
    ///   zero weight, a total that overflows, or a threshold not above two thirds of the total (or
    ///   above the total).
    public init(epoch: UInt64, members: [CommitteeMember], threshold: UInt64) throws(SettlementError) {
        guard (1...Self.maximumMembers).contains(members.count) else {
            throw .invalidCommittee("a committee has 1...\(Self.maximumMembers) members, not \(members.count)")
        }
        let sorted = members.sorted { $0.evmAddress < $1.evmAddress }
        var total: UInt64 = 0
        for (position, member) in sorted.enumerated() {
            guard member.weight > 0 else { throw .invalidCommittee("member \(member.evmAddress) has weight zero") }
            if position > 0 && sorted[position - 1].evmAddress == member.evmAddress {
                throw .invalidCommittee("member \(member.evmAddress) appears twice")
            }
            let (sum, overflow) = total.addingReportingOverflow(member.weight)
            guard !overflow else { throw .invalidCommittee("the total weight overflows 64 bits") }
            total = sum
        }
        guard Set(sorted.map(\.ed25519Key)).count == sorted.count else {
            throw .invalidCommittee("an Ed25519 key appears twice")
        }
        // threshold > 2/3 · total, in 128 bits so neither side overflows.
        guard threshold <= total, UInt128(threshold) * 3 > UInt128(total) * 2 else {
            throw .invalidCommittee(
                "the threshold \(threshold) must be above two thirds of the total weight \(total) and at most the total"
            )
        }
        self.epoch = epoch
        self.members = sorted
        self.threshold = threshold
        self.totalWeight = total
    }

    /// The sum of all weights.
    public let totalWeight: UInt64

    /// The smallest threshold above two thirds of `totalWeight`.
    public static func twoThirdsThreshold(totalWeight: UInt64) -> UInt64 {
        UInt64(UInt128(totalWeight) * 2 / 3) + 1
    }

    /// The weight of the member with `address`, or nil.
    public func weight(of address: EthereumAddress) -> UInt64? {
        members.first { $0.evmAddress == address }?.weight
    }
}
