public import BridgeRPC
internal import Foundation
internal import RPC
public import Solana

/// How settled a Solana read or transaction must be.
public enum SolanaCommitment: String, Sendable, Hashable, Comparable {
    case processed, confirmed, finalized

    public static func < (lhs: SolanaCommitment, rhs: SolanaCommitment) -> Bool {
        let order: [SolanaCommitment] = [.processed, .confirmed, .finalized]
        return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
    }
}

/// A blockhash and the last block height at which a transaction using it can land.
public struct SolanaBlockhash: Sendable, Hashable {
    public let hash: [UInt8]
    public let lastValidBlockHeight: UInt64
}

/// What `getSignatureStatuses` says of one signature.
public struct SolanaSignatureStatus: Sendable, Hashable {
    public let slot: UInt64
    /// nil when the transaction succeeded; the error's JSON text otherwise.
    public let error: String?
    /// nil when the node does not say (treated as processed).
    public let confirmation: SolanaCommitment?
}

/// An account's lamports, owner and data.
public struct SolanaAccount: Sendable, Hashable {
    public let lamports: UInt64
    public let owner: SolanaPublicKey
    public let data: [UInt8]
    public let executable: Bool
}

/// The result of `simulateTransaction`.
public struct SolanaSimulation: Sendable, Hashable {
    public let error: String?
    public let logs: [String]
    public let unitsConsumed: UInt64?
}

/// The Solana JSON-RPC methods settlement needs, typed, over a `JSONRPCHTTPClient`.
public struct SolanaRPCClient: Sendable {
    public let rpc: JSONRPCHTTPClient

    public init(rpc: JSONRPCHTTPClient) { self.rpc = rpc }

    public init(url: String, policy: JSONRPCPolicy = JSONRPCPolicy()) {
        self.rpc = JSONRPCHTTPClient(url: url, policy: policy)
    }

    public func latestBlockhash(_ commitment: SolanaCommitment = .finalized) async throws(JSONRPCClientError)
        -> SolanaBlockhash
    {
        try await read("getLatestBlockhash", [config(commitment)]) { result throws(SolanaResultError) in
            let value = result["value"]
            return SolanaBlockhash(
                hash: try base58(value?["blockhash"], "blockhash", length: 32),
                lastValidBlockHeight: try integer(value?["lastValidBlockHeight"], "lastValidBlockHeight"))
        }
    }

    public func blockHeight(_ commitment: SolanaCommitment = .finalized) async throws(JSONRPCClientError) -> UInt64 {
        try await read("getBlockHeight", [config(commitment)]) { result throws(SolanaResultError) in
            try integer(result, "block height")
        }
    }

    public func genesisHash() async throws(JSONRPCClientError) -> [UInt8] {
        try await read("getGenesisHash") { result throws(SolanaResultError) in
            try base58(result, "genesis hash", length: 32)
        }
    }

    /// Sends a signed transaction (base64); returns its signature (the transaction id).
    public func sendTransaction(
        _ transaction: SolanaTransaction, skipPreflight: Bool = false, preflight: SolanaCommitment = .confirmed
    ) async throws(JSONRPCClientError) -> String {
        let options: JSONObject = [
            "encoding": "base64", "skipPreflight": .bool(skipPreflight),
            "preflightCommitment": .string(preflight.rawValue),
            "maxRetries": 0,
        ]
        return try await read("sendTransaction", [base64(transaction.serialized), .object(options)]) {
            result throws(SolanaResultError) in
            guard let signature = result.stringValue else { throw SolanaResultError("the signature is not a string") }
            return signature
        }
    }

    public func simulate(_ transaction: SolanaTransaction) async throws(JSONRPCClientError) -> SolanaSimulation {
        try await read(
            "simulateTransaction",
            [
                base64(transaction.serialized),
                .object(["encoding": "base64", "sigVerify": true, "commitment": "confirmed"]),
            ]
        ) { result throws(SolanaResultError) in
            let value = result["value"]
            return SolanaSimulation(
                error: value?["err"]?.nonNull.map { String(decoding: JSONWriter.encode($0), as: UTF8.self) },
                logs: (value?["logs"]?.arrayValue ?? []).compactMap(\.stringValue),
                unitsConsumed: value?["unitsConsumed"]?.uint64Value)
        }
    }

    /// The status of each signature (nil: unknown to the node).
    public func signatureStatuses(_ signatures: [String]) async throws(JSONRPCClientError) -> [SolanaSignatureStatus?] {
        try await read(
            "getSignatureStatuses",
            [.array(signatures.map { .string($0) }), .object(["searchTransactionHistory": true])]
        ) { result throws(SolanaResultError) in
            guard let values = result["value"]?.arrayValue, values.count == signatures.count else {
                throw SolanaResultError("expected \(signatures.count) statuses")
            }
            return try values.map { value throws(SolanaResultError) -> SolanaSignatureStatus? in
                if value.isNull { return nil }
                return SolanaSignatureStatus(
                    slot: try integer(value["slot"], "slot"),
                    error: value["err"]?.nonNull.map { String(decoding: JSONWriter.encode($0), as: UTF8.self) },
                    confirmation: value["confirmationStatus"]?.stringValue.flatMap(SolanaCommitment.init(rawValue:)))
            }
        }
    }

    /// The landed transaction's log messages and fee, or nil when the node has no such transaction.
    public func transaction(_ signature: String) async throws(JSONRPCClientError) -> (fee: UInt64, logs: [String])? {
        try await read(
            "getTransaction",
            [
                .string(signature),
                .object(["encoding": "base64", "maxSupportedTransactionVersion": 0, "commitment": "confirmed"]),
            ]
        ) { result throws(SolanaResultError) -> (fee: UInt64, logs: [String])? in
            if result.isNull { return nil }
            let meta = result["meta"]
            return (
                try integer(meta?["fee"], "fee"), (meta?["logMessages"]?.arrayValue ?? []).compactMap(\.stringValue)
            )
        }
    }

    public func balance(of key: SolanaPublicKey, _ commitment: SolanaCommitment = .confirmed)
        async throws(JSONRPCClientError) -> UInt64
    {
        try await read("getBalance", [.string(key.base58), config(commitment)]) { result throws(SolanaResultError) in
            try integer(result["value"], "balance")
        }
    }

    /// The account, or nil when it does not exist.
    public func account(_ key: SolanaPublicKey, _ commitment: SolanaCommitment = .confirmed)
        async throws(JSONRPCClientError) -> SolanaAccount?
    {
        try await read(
            "getAccountInfo",
            [.string(key.base58), .object(["encoding": "base64", "commitment": .string(commitment.rawValue)])]
        ) { result throws(SolanaResultError) -> SolanaAccount? in
            guard let value = result["value"], !value.isNull else { return nil }
            guard let encoded = value["data"]?[0]?.stringValue, let data = Data(base64Encoded: encoded) else {
                throw SolanaResultError("account data is not base64")
            }
            return SolanaAccount(
                lamports: try integer(value["lamports"], "lamports"),
                owner: SolanaPublicKey(validated: try base58(value["owner"], "owner", length: 32)), data: Array(data),
                executable: value["executable"]?.boolValue ?? false)
        }
    }

    public func minimumBalanceForRentExemption(bytes: Int) async throws(JSONRPCClientError) -> UInt64 {
        try await read("getMinimumBalanceForRentExemption", [JSONValue(bytes)]) { result throws(SolanaResultError) in
            try integer(result, "rent-exempt minimum")
        }
    }

    /// The fee the cluster would charge for `message`, or nil when its blockhash has expired.
    public func fee(for message: SolanaMessage) async throws(JSONRPCClientError) -> UInt64? {
        try await read("getFeeForMessage", [base64(message.serialized), config(.confirmed)]) {
            result throws(SolanaResultError) -> UInt64? in
            guard let value = result["value"], !value.isNull else { return nil }
            return try integer(value, "fee")
        }
    }

    public func requestAirdrop(_ key: SolanaPublicKey, lamports: UInt64) async throws(JSONRPCClientError) -> String {
        try await read("requestAirdrop", [.string(key.base58), JSONValue(lamports)]) {
            result throws(SolanaResultError) in
            guard let signature = result.stringValue else { throw SolanaResultError("the signature is not a string") }
            return signature
        }
    }

    // MARK: - Helpers

    private func read<T>(
        _ method: String, _ params: [JSONValue] = [], parse: (JSONValue) throws(SolanaResultError) -> T
    )
        async throws(JSONRPCClientError) -> T
    {
        let result = try await rpc.call(method, params)
        do { return try parse(result) } catch { throw .unexpectedResult(method: method, reason: error.reason) }
    }

    private func config(_ commitment: SolanaCommitment) -> JSONValue {
        .object(["commitment": .string(commitment.rawValue)])
    }

    private func base64(_ bytes: [UInt8]) -> JSONValue { .string(Data(bytes).base64EncodedString()) }
}

struct SolanaResultError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

private func integer(_ value: JSONValue?, _ field: String) throws(SolanaResultError) -> UInt64 {
    guard let number = value?.uint64Value else { throw SolanaResultError("\(field) is not an unsigned integer") }
    return number
}

private func base58(_ value: JSONValue?, _ field: String, length: Int) throws(SolanaResultError) -> [UInt8] {
    guard let text = value?.stringValue, let bytes = try? Base58.decode(text), bytes.count == length else {
        throw SolanaResultError("\(field) is not \(length) bytes of base58")
    }
    return bytes
}
