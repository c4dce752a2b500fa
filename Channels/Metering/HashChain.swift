public import Primitives

/// A payer's hash chain: `root = H^length(seed)`, where `H` is SHA-256 of the 32-byte value.
///
/// Unit `i` (1-based) is paid by revealing `H^(length - i)(seed)`: hashing it once gives the value
/// revealed for unit `i - 1` (the root for unit 1). Only the payer, who knows the seed, can go
/// down the chain; anyone can check a step with one hash. `H` is bare SHA-256 of 32 bytes (one
/// compression, no tag): the chain is bound to its channel, session and segment by the signed
/// state that commits its root, so a domain tag would only cost speed.
///
/// The whole chain (`length + 1` hashes) is kept, so a reveal is an array read; a segment is
/// short (the meter's K), so this is a few kilobytes.
public struct HashChain: Sendable {
    private let links: [Hash]

    /// The chain of `length` units from `seed` (`length` hashes are computed now).
    /// - Precondition: `length >= 1`.
    public init(seed: Hash, length: Int) {
        precondition(length >= 1, "a hash chain has at least one unit")
        var links = [Hash]()
        links.reserveCapacity(length + 1)
        var value = seed
        links.append(value)
        for _ in 0..<length {
            value = HashChain.step(value)
            links.append(value)
        }
        self.links = links
    }

    /// The number of units the chain pays for.
    public var length: Int { links.count - 1 }

    /// `H^length(seed)`: what a signed state commits to.
    public var root: Hash { links[links.count - 1] }

    /// The value revealed to pay for unit `unit` (1 ... length).
    /// - Throws: `MeterError.unitOutOfRange` outside that range.
    public func preimage(forUnit unit: Int) throws(MeterError) -> Hash {
        guard unit >= 1, unit <= length else {
            throw .unitOutOfRange(unit: UInt64(max(unit, 0)), length: UInt64(length))
        }
        return links[length - unit]
    }

    /// One step of the chain: SHA-256 of the 32 bytes of `value`.
    ///
    /// Uses the Merkle-node hasher (OpenSSL's block functions, context on the stack): no allocation.
    public static func step(_ value: Hash) -> Hash {
        value.withUnsafeBytes { NodeHasher.digest($0) }
    }
}

/// The provider's check of a payer's reveals: one hash per unit from the last verified value.
///
/// Holds two words of state (the last verified value and the count), so checking a tick costs one
/// SHA-256 compression and no allocation; this is the meter's hot path.
public struct HashChainVerifier: Sendable {
    /// The value the next reveal must hash to (the root before any unit).
    public private(set) var lastVerified: Hash
    /// Units verified so far.
    public private(set) var verifiedUnits: Int
    /// The chain's length: no more units than this can be verified.
    public let length: Int

    /// A verifier for the chain committed to by `root`, of `length` units.
    public init(root: Hash, length: Int) {
        lastVerified = root
        verifiedUnits = 0
        self.length = length
    }

    /// Checks that `preimage` pays for the next unit and advances by one.
    /// - Throws: `MeterError.replayedPreimage` for the value already verified,
    ///   `.forgedPreimage` for anything else that does not hash to it, `.chainExhausted` after the
    ///   last unit. Nothing changes when it throws.
    public mutating func verify(_ preimage: Hash) throws(MeterError) {
        guard verifiedUnits < length else { throw .chainExhausted(length: UInt64(length)) }
        guard HashChain.step(preimage) == lastVerified else {
            if preimage == lastVerified { throw .replayedPreimage(unit: UInt64(verifiedUnits)) }
            throw .forgedPreimage(unit: UInt64(verifiedUnits + 1))
        }
        lastVerified = preimage
        verifiedUnits += 1
    }
}
