public import Primitives
public import Storage

/// Where one batch stands on one target, as the relayer persists it.
public enum TargetProgress: Sendable, Hashable {
    /// Transactions broadcast for the batch and not yet seen confirmed (newest last).
    case sent(nonce: UInt64, hashes: [Hash])
    /// Solana transactions sent for one chunk, the newest valid until block height `expiresAt`;
    /// `latest` is its signed bytes (empty when the node refused it), sent again unchanged while
    /// it may still land (a crash may have come between recording and sending it).
    case submitted(expiresAt: UInt64, transactionIds: [String], latest: [UInt8])
    /// Recorded on chain: by our transaction (`transaction` set: EVM hash in hex, Solana id) or
    /// found there already.
    case settled(transaction: String?, block: UInt64)
    /// Refused for good (a bad attestation, a conflicting root); the reason says why.
    case failed(String)
}

extension TargetProgress: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        switch self {
        case .sent(let nonce, let hashes):
            encoder.write(UInt8(0))
            encoder.write(nonce)
            encoder.writeLength(hashes.count)
            for hash in hashes { encoder.write(fixed: hash.bytes) }
        case .settled(let transaction, let block):
            encoder.write(UInt8(1))
            encoder.write(transaction)
            encoder.write(block)
        case .failed(let reason):
            encoder.write(UInt8(2))
            encoder.write(reason)
        case .submitted(let expiresAt, let transactionIds, let latest):
            encoder.write(UInt8(3))
            encoder.write(expiresAt)
            encoder.write(transactionIds)
            encoder.write(bytes: latest)
        }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let offset = decoder.offset
        switch try decoder.read(UInt8.self) {
        case 0:
            let nonce = try decoder.read(UInt64.self)
            let count = try decoder.readLength(limit: 1_024)
            var hashes: [Hash] = []
            for _ in 0..<count { hashes.append(try! Hash(try decoder.readFixed(count: 32))) }
            self = .sent(nonce: nonce, hashes: hashes)
        case 1:
            let transaction = try decoder.read(Bool.self) ? try decoder.read(String.self, maxLength: 128) : nil
            self = .settled(transaction: transaction, block: try decoder.read(UInt64.self))
        case 2:
            self = .failed(try decoder.read(String.self, maxLength: 4_096))
        case 3:
            let expiresAt = try decoder.read(UInt64.self)
            let count = try decoder.readLength(limit: 1_024)
            var ids: [String] = []
            for _ in 0..<count { ids.append(try decoder.read(String.self, maxLength: 128)) }
            let latest = try decoder.readBytes(maxLength: 4 * 1_232)
            self = .submitted(expiresAt: expiresAt, transactionIds: ids, latest: latest)
        case let tag:
            throw .unknownTag(offset: offset, tag: UInt64(tag), type: "TargetProgress")
        }
    }
}

/// The relayer's progress per (target, batch id), in one store column. Every write is synced
/// before the relayer goes on, so a restart sees each broadcast it made.
public struct RelayerStore: Sendable {
    public static let column = StoreColumn("settlement.progress")

    private let store: any KeyValueStore

    public init(store: any KeyValueStore) { self.store = store }

    /// The progress of `batchId` on `target` (a target's stable name, e.g. `evm:31337:0x…`).
    public func progress(target: String, batchId: UInt64) throws -> TargetProgress? {
        guard let bytes = try store.get(Self.key(target: target, batchId: batchId), column: Self.column) else {
            return nil
        }
        return try Canonical.decode(TargetProgress.self, from: bytes)
    }

    /// Records `progress`, synced to disk before returning.
    public func record(_ progress: TargetProgress, target: String, batchId: UInt64) throws {
        var batch = WriteBatch()
        batch.put(Self.key(target: target, batchId: batchId), Canonical.encode(progress), column: Self.column)
        try store.write(batch, sync: true)
    }

    static func key(target: String, batchId: UInt64) -> [UInt8] {
        Array(target.utf8) + [0] + withUnsafeBytes(of: batchId.bigEndian) { Array($0) }
    }
}
