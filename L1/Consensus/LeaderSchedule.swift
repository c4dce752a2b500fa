public import Primitives

/// Who may propose in each view (Docs/spec/consensus.md §4).
///
/// - The *weighted* leader of a view is drawn by stake from the epoch's seed: deterministic per
///   view, unknown before the seed is fixed.
/// - After a timeout the *round-robin* leader `validators[view mod n]` proposes instead, so an
///   offline validator cannot be drawn view after view.
/// Epoch seeds mix the VRF outputs of every block two epochs back (`EpochSeeds`).
public struct LeaderSchedule: Sendable {
    /// The chain the schedule is for.
    public let chainId: String
    /// The validators (fixed for the epochs this schedule covers).
    public let validators: ValidatorSet
    /// Heights per epoch.
    public let epochLength: UInt64

    /// A schedule over `validators`.
    public init(chainId: String, validators: ValidatorSet, epochLength: UInt64) {
        self.chainId = chainId
        self.validators = validators
        self.epochLength = max(epochLength, 1)
    }

    /// The epoch of a block at `height`.
    public func epoch(ofHeight height: UInt64) -> UInt64 { height / epochLength }

    /// The stake-weighted leader of `view` under `seed`.
    public func weightedLeader(view: UInt64, seed: Hash) -> ValidatorIndex {
        var encoder = CanonicalEncoder()
        encoder.write("aether/leader/v1")
        encoder.write(seed)
        encoder.write(view)
        let draw = Hashing.sha256(encoder.bytes)
        // x mod S over the 256-bit big-endian draw, folded 64 bits at a time (exact, no bias beyond
        // the 2^-192 of reducing a 256-bit number).
        var remainder: UInt64 = 0
        let total = validators.totalStake
        draw.withUnsafeBytes { bytes in
            for word in 0..<4 {
                var chunk: UInt64 = 0
                for byte in 0..<8 { chunk = chunk << 8 | UInt64(bytes[word * 8 + byte]) }
                remainder = total.dividingFullWidth((high: remainder, low: chunk)).remainder
            }
        }
        var cumulative: UInt64 = 0
        for (index, validator) in validators.validators.enumerated() {
            cumulative += validator.stake
            if remainder < cumulative { return ValidatorIndex(index) }
        }
        return ValidatorIndex(validators.count - 1)
    }

    /// The round-robin leader of `view`, used for views entered through a timeout certificate.
    public func roundRobinLeader(view: UInt64) -> ValidatorIndex {
        ValidatorIndex(view % UInt64(validators.count))
    }

    /// The input a proposer's VRF proof must be over.
    public static func vrfInput(chainId: String, epoch: UInt64, view: UInt64) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.write("aether/vrf/v1")
        encoder.write(chainId)
        encoder.write(epoch)
        encoder.write(view)
        return encoder.bytes
    }
}

/// The epoch seeds known so far, and the VRF outputs collected towards the next ones.
///
/// `seed(0) = seed(1)` derive from the chain id; `seed(e) = SHA-256(tag ‖ seed(e−1) ‖ β…)` over
/// the VRF outputs of the committed blocks of epoch `e − 2`, in height order. The value is
/// persisted with each commit so a restarted validator resumes with the same schedule.
public struct EpochSeeds: Hashable, Sendable {
    /// Known seeds by epoch (old ones are dropped).
    public private(set) var seeds: [UInt64: Hash]
    /// Outputs of committed blocks, per epoch still being filled.
    public private(set) var outputs: [UInt64: [[UInt8]]]
    /// Heights per epoch.
    public let epochLength: UInt64

    /// The seeds of a new chain.
    public init(chainId: String, epochLength: UInt64) {
        var encoder = CanonicalEncoder()
        encoder.write("aether/epoch-seed/genesis")
        encoder.write(chainId)
        let genesis = Hashing.sha256(encoder.bytes)
        self.seeds = [0: genesis, 1: genesis]
        self.outputs = [:]
        self.epochLength = max(epochLength, 1)
    }

    /// The seed of `epoch`, or nil while the blocks it depends on are not all committed.
    public func seed(epoch: UInt64) -> Hash? { seeds[epoch] }

    /// Records the VRF output of the committed block at `height`; blocks must come in height order.
    public mutating func recordCommitted(height: UInt64, output: [UInt8]) {
        let epoch = height / epochLength
        outputs[epoch, default: []].append(output)
        guard height % epochLength == epochLength - 1, let previous = seeds[epoch + 1] else { return }
        // The epoch is complete: seed(epoch + 2) is now fixed.
        var encoder = CanonicalEncoder()
        encoder.write("aether/epoch-seed/v1")
        encoder.write(previous)
        for output in outputs[epoch] ?? [] { encoder.write(fixed: output) }
        seeds[epoch + 2] = Hashing.sha256(encoder.bytes)
        outputs[epoch] = nil
        for old in seeds.keys where old + 3 < epoch { seeds[old] = nil }
    }
}

extension EpochSeeds: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(epochLength)
        let seedEpochs = seeds.keys.sorted()
        encoder.writeLength(seedEpochs.count)
        for epoch in seedEpochs {
            encoder.write(epoch)
            encoder.write(seeds[epoch]!)
        }
        let outputEpochs = outputs.keys.sorted()
        encoder.writeLength(outputEpochs.count)
        for epoch in outputEpochs {
            encoder.write(epoch)
            encoder.writeLength(outputs[epoch]!.count)
            for output in outputs[epoch]! { encoder.write(bytes: output) }
        }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        epochLength = max(try decoder.read(UInt64.self), 1)
        seeds = [:]
        for _ in 0..<(try decoder.readLength(limit: 16)) {
            let epoch = try decoder.read(UInt64.self)
            seeds[epoch] = try decoder.read(Hash.self)
        }
        outputs = [:]
        for _ in 0..<(try decoder.readLength(limit: 16)) {
            let epoch = try decoder.read(UInt64.self)
            var list: [[UInt8]] = []
            for _ in 0..<(try decoder.readLength(limit: 1 << 20)) { list.append(try decoder.readBytes(maxLength: 64)) }
            outputs[epoch] = list
        }
    }
}
