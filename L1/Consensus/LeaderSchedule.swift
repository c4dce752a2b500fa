public import Primitives

/// Who may propose in each view (Docs/spec/consensus.md §4).
///
/// - The *weighted* leader of a view is drawn by stake from the epoch's seed: deterministic per
///   view, unknown before the seed is fixed.
/// - After a timeout the *round-robin* leader `validators[view mod n]` proposes instead, so an
///   offline validator cannot be drawn view after view.
/// Epoch seeds mix the VRF outputs of every block two epochs back (`EpochState`).
public struct LeaderSchedule: Sendable {
    /// The chain the schedule is for.
    public let chainId: String
    /// The validators of the epoch.
    public let validators: ValidatorSet

    /// A schedule over `validators`.
    public init(chainId: String, validators: ValidatorSet) {
        self.chainId = chainId
        self.validators = validators
    }

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

/// Where the chain is in its epochs: the current epoch, the height it started at, the seeds known
/// so far and the VRF outputs collected towards the next ones. Persisted with every commit, so a
/// restarted validator resumes with the same epoch and schedule.
///
/// An epoch runs `epochLength` heights from `startHeight`; its last block is the *ending block*.
/// Blocks proposed on top of the ending block before it is committed stay in the epoch but carry
/// no transactions (the *suffix*); the next epoch starts on the last committed block of the epoch.
/// `seed(0) = seed(1)` derive from the chain id; when epoch `e` closes,
/// `seed(e + 2) = SHA-256(tag ‖ seed(e + 1) ‖ β…)` over the VRF outputs of its committed blocks.
public struct EpochState: Hashable, Sendable {
    /// The current epoch.
    public private(set) var epoch: UInt64
    /// The height of the current epoch's first block.
    public private(set) var startHeight: UInt64
    /// Heights per epoch.
    public let epochLength: UInt64
    /// Known seeds by epoch (old ones are dropped).
    public private(set) var seeds: [UInt64: Hash]
    /// VRF outputs of the current epoch's committed blocks, in height order.
    public private(set) var outputs: [[UInt8]]

    /// The state of a new chain: epoch 0 starts right after the genesis block (height 0).
    public init(chainId: String, epochLength: UInt64) {
        var encoder = CanonicalEncoder()
        encoder.write("aether/epoch-seed/genesis")
        encoder.write(chainId)
        let genesis = Hashing.sha256(encoder.bytes)
        self.epoch = 0
        self.startHeight = 1
        self.epochLength = max(epochLength, 1)
        self.seeds = [0: genesis, 1: genesis]
        self.outputs = []
    }

    /// The height of the current epoch's ending block.
    public var endingHeight: UInt64 { startHeight + epochLength - 1 }

    /// The seed of `epoch`, or nil when it is not fixed yet (or long forgotten).
    public func seed(epoch: UInt64) -> Hash? { seeds[epoch] }

    /// Records a committed block of the current epoch (in height order).
    public mutating func recordCommitted(_ header: BlockHeader, output: [UInt8]) {
        guard header.epoch == epoch else { return }
        outputs.append(output)
    }

    /// Closes the current epoch on its last committed block `base` (the ending block or a suffix
    /// block): fixes `seed(epoch + 2)` and starts the next epoch at `base.height + 1`.
    public mutating func close(on base: BlockHeader) {
        seeds[epoch + 2] = Self.seed(after: seeds[epoch + 1] ?? .zero, outputs: outputs)
        outputs = []
        epoch += 1
        startHeight = base.height + 1
        for old in seeds.keys where old + 1 < epoch { seeds[old] = nil }
    }
}

extension EpochState {
    /// The seed of epoch `e + 2` from the seed of `e + 1` and the VRF outputs of epoch `e`'s
    /// committed blocks, in height order: what `close(on:)` fixes. A snapshot importer uses it to
    /// check a closed epoch state against the epoch's headers.
    public static func seed(after previous: Hash, outputs: [[UInt8]]) -> Hash {
        var encoder = CanonicalEncoder()
        encoder.write("aether/epoch-seed/v1")
        encoder.write(previous)
        for output in outputs { encoder.write(fixed: output) }
        return Hashing.sha256(encoder.bytes)
    }
}

extension EpochState: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(epoch)
        encoder.write(startHeight)
        encoder.write(epochLength)
        let seedEpochs = seeds.keys.sorted()
        encoder.writeLength(seedEpochs.count)
        for epoch in seedEpochs {
            encoder.write(epoch)
            encoder.write(seeds[epoch] ?? .zero)
        }
        encoder.writeLength(outputs.count)
        for output in outputs { encoder.write(bytes: output) }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        epoch = try decoder.read(UInt64.self)
        startHeight = try decoder.read(UInt64.self)
        epochLength = max(try decoder.read(UInt64.self), 1)
        seeds = [:]
        for _ in 0..<(try decoder.readLength(limit: 16)) {
            let epoch = try decoder.read(UInt64.self)
            seeds[epoch] = try decoder.read(Hash.self)
        }
        outputs = []
        for _ in 0..<(try decoder.readLength(limit: 1 << 24)) { outputs.append(try decoder.readBytes(maxLength: 64)) }
    }
}
