public import Primitives
public import RPC
public import Settlement
public import SettlementModule

/// Why the L1 could not be read as a batch source.
public struct L1SourceError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { "L1 source: \(reason)" }
}

/// Settlement batches read from an L1 node's state (`aether settle --source http://…`): the
/// settlement module's batch records and attestations, read with `getProof` at one committed
/// height so a pass sees one consistent state (Docs/spec/settlement.md, "Batches from the L1").
///
/// The node is trusted only to answer: every signature it hands over is checked against the
/// target's committee before anything is sent, and the contract checks them again. A lying node
/// can withhold batches, never forge one.
public final class L1BatchSource {
    /// A batch on the L1 that has not reached its attestation quorum yet.
    public struct Pending: Sendable, Hashable {
        public let batchId: UInt64
        public let stake: UInt64
        public let totalStake: UInt64
    }

    /// What one read found.
    public struct Snapshot: Sendable {
        /// The committed L1 height read.
        public let height: UInt64
        /// Batches from the first asked for whose attestations reached a quorum on the L1, in id order.
        public let attested: [AttestedBatch]
        /// Batches still gathering attestations.
        public let pending: [Pending]
        /// The id the L1 will give its next batch.
        public let nextBatchId: UInt64
    }

    /// Most batches read in one JSON-RPC batch.
    public var pageSize = 64

    let client: RPCClient

    public init(client: RPCClient) { self.client = client }

    /// One recorded batch and its attestations so far.
    public struct Entry: Sendable {
        public let record: SettlementModule.BatchRecord
        public let attestations: SettlementModule.Attestations
    }

    /// Reads every batch with an id from `first` on: those attested to a quorum, and the rest.
    /// - Throws: `L1SourceError` when the node does not answer as an Aether L1 node does, or a
    ///   stored record does not decode.
    public func read(from first: UInt64 = 1) throws(L1SourceError) -> Snapshot {
        let (height, next, entries) = try entries(from: first)
        var attested: [AttestedBatch] = []
        var pending: [Pending] = []
        for entry in entries {
            let batch = entry.record.batch
            if entry.attestations.quorumHeight != nil {
                attested.append(entry.attestations.attested(batch))
            } else {
                pending.append(
                    Pending(
                        batchId: batch.batchId, stake: entry.attestations.stake, totalStake: entry.record.totalStake))
            }
        }
        return Snapshot(height: height, attested: attested, pending: pending, nextBatchId: next)
    }

    /// The batches with ids from `first` on, at the node's latest committed height (also
    /// returned, with the next batch id).
    /// - Throws: `L1SourceError` as `read`.
    public func entries(from first: UInt64 = 1) throws(L1SourceError) -> (
        height: UInt64, nextBatchId: UInt64, entries: [Entry]
    ) {
        let height: UInt64
        do {
            guard case .object(let status) = try client.call("getStatus"), let value = status["height"]?.uint64Value
            else { throw L1SourceError("the node's getStatus answer has no height") }
            height = value
        } catch let error as L1SourceError { throw error } catch { throw L1SourceError("getStatus: \(error)") }
        var next: UInt64 = 1
        if let bytes = try values([SettlementModule.Keys.nextBatch], height: height)[0] {
            guard bytes.count == 8 else { throw L1SourceError("the next batch id is \(bytes.count) bytes") }
            next = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
        var entries: [Entry] = []
        var id = max(first, 1)
        while id < next {
            let ids = Array(id..<min(next, id + UInt64(pageSize)))
            let keys = ids.flatMap { [SettlementModule.Keys.batch($0), SettlementModule.Keys.attestations($0)] }
            let answers = try values(keys, height: height)
            for (offset, batchId) in ids.enumerated() {
                guard let recordBytes = answers[2 * offset] else {
                    throw L1SourceError("batch \(batchId) is below the next id \(next) but not recorded")
                }
                let record: SettlementModule.BatchRecord
                let attestations: SettlementModule.Attestations
                do {
                    record = try Canonical.decode(SettlementModule.BatchRecord.self, from: recordBytes)
                    attestations =
                        try answers[2 * offset + 1].map {
                            try Canonical.decode(SettlementModule.Attestations.self, from: $0)
                        } ?? SettlementModule.Attestations()
                } catch { throw L1SourceError("batch \(batchId) does not decode: \(error)") }
                guard record.batch.batchId == batchId else {
                    throw L1SourceError("the record under batch \(batchId) holds batch \(record.batch.batchId)")
                }
                entries.append(Entry(record: record, attestations: attestations))
            }
            id += UInt64(ids.count)
        }
        return (height, next, entries)
    }

    /// The values of the settlement module's `keys` at `height` (nil: absent), one round trip.
    func values(_ keys: [[UInt8]], height: UInt64) throws(L1SourceError) -> [[UInt8]?] {
        let prefix = Array("\(SettlementModule.moduleName)/".utf8)
        let calls = keys.map { key -> (method: String, params: JSONObject) in
            var params = JSONObject()
            params["key"] = .string(Hex.encode(prefix + key))
            params["height"] = JSONValue(height)
            return ("getProof", params)
        }
        let answers: [Result<JSONValue, RPCClientError>]
        do { answers = try client.batch(calls) } catch { throw L1SourceError("getProof: \(error)") }
        var values: [[UInt8]?] = []
        for answer in answers {
            let proof: JSONValue
            do { proof = try answer.get() } catch { throw L1SourceError("getProof: \(error)") }
            guard proof["exists"]?.boolValue == true else {
                values.append(nil)
                continue
            }
            guard let text = proof["value"]?.stringValue, let bytes = try? Hex.decode(text) else {
                throw L1SourceError("a getProof answer has no hex value")
            }
            values.append(bytes)
        }
        return values
    }
}
