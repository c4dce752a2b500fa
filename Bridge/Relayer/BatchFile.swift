public import EVM
internal import Foundation
public import Primitives
public import RPC
public import Settlement
internal import Solana

/// Why a batch file cannot be read.
public struct BatchFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { "batch file: \(reason)" }
}

/// The JSON form of attested batches, the relayer's `--source FILE` (Docs/spec/settlement.md,
/// "Batch files"):
///
///     {"batches": [{"batchId": "7", "sourceDomain": 3,
///                   "payouts": [{"kind": "evm", "recipient": "0x…", "asset": "0x…" | null, "amount": "1000"}],
///                   "attestations": {"evm": [{"chainId": 31337, "contract": "0x…", "signatures": ["0x…"]}]}}]}
///
/// Amounts and batch ids are decimal strings (JSON numbers lose precision above 2^53).
public enum BatchFile {
    /// The batches in `bytes`, each checked (payout rules, signature lengths).
    /// - Throws: `BatchFileError` naming the batch and field.
    public static func parse(_ bytes: [UInt8]) throws(BatchFileError) -> [AttestedBatch] {
        let root: JSONValue
        do { root = try JSONValue(parsing: bytes, limits: JSONLimits(maxBytes: 256 << 20, maxDepth: 16)) } catch {
            throw BatchFileError("not JSON: \(error)")
        }
        guard let entries = root["batches"]?.arrayValue else { throw BatchFileError("no \"batches\" array") }
        var seen = Set<UInt64>()
        var batches: [AttestedBatch] = []
        for (position, entry) in entries.enumerated() {
            let batch = try parseBatch(entry, position: position)
            guard seen.insert(batch.batch.batchId).inserted else {
                throw BatchFileError("batch id \(batch.batch.batchId) appears twice")
            }
            batches.append(batch)
        }
        return batches
    }

    /// Reads and parses the file at `path`.
    public static func read(path: String) throws(BatchFileError) -> [AttestedBatch] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BatchFileError("cannot read \(path)")
        }
        return try parse(Array(data))
    }

    /// The JSON of `batches`.
    public static func encode(_ batches: [AttestedBatch]) -> [UInt8] {
        JSONWriter.encode(["batches": .array(batches.map(json))])
    }

    static func json(_ attested: AttestedBatch) -> JSONValue {
        let batch = attested.batch
        let payouts: [JSONValue] = batch.payouts.map { payout in
            var object: JSONObject = ["kind": .string(payout.kind.description)]
            switch payout.kind {
            case .evm:
                object["recipient"] = .string(payout.evmRecipient?.checksummed ?? "")
                object["asset"] = payout.evmToken.map { .string($0.checksummed) } ?? .null
            case .solana:
                object["recipient"] = .string(Base58.encode(payout.recipient))
                object["asset"] = payout.isNativeAsset ? .null : .string(Base58.encode(payout.asset))
            }
            object["amount"] = .string(payout.amount.decimalDescription)
            return .object(object)
        }
        let evm: [JSONValue] = attested.evmSignatures.keys.sorted {
            ($0.chainId, $0.contract) < ($1.chainId, $1.contract)
        }
        .map { deployment in
            .object([
                "chainId": JSONValue(deployment.chainId), "contract": .string(deployment.contract.checksummed),
                "signatures": .array(attested.evmSignatures[deployment]!.map { .string("0x" + Hex.encode($0)) }),
            ])
        }
        let solana: [JSONValue] = attested.solanaSignatures.keys.sorted { $0.description < $1.description }
            .map { cluster in
                .object([
                    "genesisHash": .string(Base58.encode(cluster.genesisHash)),
                    "signatures": .array(
                        attested.solanaSignatures[cluster]!.map { entry in
                            .object([
                                "key": .string(Base58.encode(entry.key.bytes)),
                                "signature": .string(Base58.encode(entry.signature.bytes)),
                            ])
                        }),
                ])
            }
        return .object([
            "batchId": .string(String(batch.batchId)), "sourceDomain": JSONValue(UInt64(batch.sourceDomain)),
            "payouts": .array(payouts), "attestations": .object(["evm": .array(evm), "solana": .array(solana)]),
        ])
    }

    static func parseBatch(_ entry: JSONValue, position: Int) throws(BatchFileError) -> AttestedBatch {
        let label = "batch \(position)"
        guard let idText = entry["batchId"]?.stringValue, let batchId = UInt64(idText) else {
            throw BatchFileError("\(label): batchId must be a decimal string")
        }
        guard let domain = entry["sourceDomain"]?.uint64Value, let sourceDomain = UInt32(exactly: domain) else {
            throw BatchFileError("\(label): sourceDomain must be a 32-bit integer")
        }
        guard let payoutEntries = entry["payouts"]?.arrayValue else {
            throw BatchFileError("\(label): no payouts array")
        }
        var payouts: [Payout] = []
        for (index, value) in payoutEntries.enumerated() {
            payouts.append(try parsePayout(value, label: "\(label) payout \(index)"))
        }
        let batch: SettlementBatch
        do { batch = try SettlementBatch(batchId: batchId, sourceDomain: sourceDomain, payouts: payouts) } catch {
            throw BatchFileError("\(label): \(error)")
        }
        var signatures: [EVMDeployment: [[UInt8]]] = [:]
        for value in entry["attestations"]?["evm"]?.arrayValue ?? [] {
            guard let chainId = value["chainId"]?.uint64Value else {
                throw BatchFileError("\(label): an EVM attestation needs a chainId")
            }
            let contract = try address(value["contract"], "\(label) contract")
            guard let list = value["signatures"]?.arrayValue else {
                throw BatchFileError("\(label): an EVM attestation needs signatures")
            }
            var decoded: [[UInt8]] = []
            for (index, signature) in list.enumerated() {
                let bytes = try hex(signature, "\(label) signature \(index)")
                guard bytes.count == 65 else { throw BatchFileError("\(label) signature \(index): not 65 bytes") }
                decoded.append(bytes)
            }
            signatures[EVMDeployment(chainId: chainId, contract: contract)] = decoded
        }
        var solana: [SolanaCluster: [SolanaAttestation.Signature]] = [:]
        for value in entry["attestations"]?["solana"]?.arrayValue ?? [] {
            let genesis = try base58(value["genesisHash"], "\(label) genesisHash", length: 32)
            guard let list = value["signatures"]?.arrayValue else {
                throw BatchFileError("\(label): a Solana attestation needs signatures")
            }
            var decoded: [SolanaAttestation.Signature] = []
            for (index, signature) in list.enumerated() {
                let key = try base58(signature["key"], "\(label) Solana key \(index)", length: 32)
                let bytes = try base58(signature["signature"], "\(label) Solana signature \(index)", length: 64)
                decoded.append(
                    SolanaAttestation.Signature(
                        key: try! Ed25519.PublicKey(key), signature: try! Ed25519.Signature(bytes)))
            }
            solana[SolanaCluster(genesisHash: genesis)] = decoded
        }
        return AttestedBatch(batch: batch, evmSignatures: signatures, solanaSignatures: solana)
    }

    static func base58(_ value: JSONValue?, _ label: String, length: Int) throws(BatchFileError) -> [UInt8] {
        guard let text = value?.stringValue, let bytes = try? Base58.decode(text), bytes.count == length else {
            throw BatchFileError("\(label): expected \(length) bytes in base58")
        }
        return bytes
    }

    /// One payout of a batch file's `payouts` array.
    /// - Throws: `BatchFileError` naming `label` and the field.
    public static func parsePayout(_ value: JSONValue, label: String) throws(BatchFileError) -> Payout {
        guard let amountText = value["amount"]?.stringValue, let amount = try? UInt256(decimal: amountText) else {
            throw BatchFileError("\(label): amount must be a decimal string")
        }
        let asset = value["asset"]?.nonNull
        do {
            switch value["kind"]?.stringValue {
            case "evm":
                let token = try asset.map { value throws(BatchFileError) in try address(value, "\(label) asset") }
                return try Payout.evm(
                    to: try address(value["recipient"], "\(label) recipient"), amount: amount, token: token)
            case "solana":
                let mint = try asset.map { value throws(BatchFileError) in
                    try base58(value, "\(label) asset", length: 32)
                }
                guard let lamports = amount.exactUInt64 else { throw BatchFileError("\(label): amount above 64 bits") }
                return try Payout.solana(
                    to: try base58(value["recipient"], "\(label) recipient", length: 32), amount: lamports, mint: mint)
            default:
                throw BatchFileError("\(label): kind must be \"evm\" or \"solana\"")
            }
        } catch let error as BatchFileError {
            throw error
        } catch {
            throw BatchFileError("\(label): \(error)")
        }
    }

    static func address(_ value: JSONValue?, _ label: String) throws(BatchFileError) -> EthereumAddress {
        guard let text = value?.stringValue else { throw BatchFileError("\(label): missing address") }
        do { return try EthereumAddress(parsing: text) } catch { throw BatchFileError("\(label): \(error)") }
    }

    static func hex(_ value: JSONValue?, _ label: String) throws(BatchFileError) -> [UInt8] {
        guard let text = value?.stringValue, text.hasPrefix("0x"),
            let bytes = try? Hex.decode(String(text.dropFirst(2)))
        else { throw BatchFileError("\(label): expected 0x-prefixed hex") }
        return bytes
    }
}
