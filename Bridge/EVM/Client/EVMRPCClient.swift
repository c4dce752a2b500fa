public import BridgeRPC
public import EVM
public import Primitives
public import RPC

/// Which block a read refers to.
public enum EVMBlockTag: Sendable, Hashable {
    case latest, pending, safe, finalized
    case number(UInt64)

    var json: JSONValue {
        switch self {
        case .latest: "latest"
        case .pending: "pending"
        case .safe: "safe"
        case .finalized: "finalized"
        case .number(let number): EVMHex.quantity(number)
        }
    }
}

/// The Ethereum JSON-RPC methods the settlement relayer uses, typed, over a `JSONRPCHTTPClient`.
/// Every result is checked for shape; a node that answers nonsense gets
/// `JSONRPCClientError.unexpectedResult` naming the field.
public struct EVMRPCClient: Sendable {
    public let rpc: JSONRPCHTTPClient

    public init(rpc: JSONRPCHTTPClient) { self.rpc = rpc }

    /// A client for `url` with `policy`.
    public init(url: String, policy: JSONRPCPolicy = JSONRPCPolicy()) {
        self.rpc = JSONRPCHTTPClient(url: url, policy: policy)
    }

    public func chainId() async throws(JSONRPCClientError) -> UInt64 {
        try await read("eth_chainId") { result throws(EVMResultError) in try EVMHex.parseUInt64(result, "chain id") }
    }

    public func blockNumber() async throws(JSONRPCClientError) -> UInt64 {
        try await read("eth_blockNumber") { result throws(EVMResultError) in
            try EVMHex.parseUInt64(result, "block number")
        }
    }

    /// The account's nonce; `.pending` counts transactions in the node's pool.
    public func transactionCount(of address: EthereumAddress, at block: EVMBlockTag = .pending)
        async throws(JSONRPCClientError) -> UInt64
    {
        try await read("eth_getTransactionCount", [.string(address.checksummed), block.json]) {
            result throws(EVMResultError) in try EVMHex.parseUInt64(result, "transaction count")
        }
    }

    public func balance(of address: EthereumAddress, at block: EVMBlockTag = .latest) async throws(JSONRPCClientError)
        -> UInt256
    {
        try await read("eth_getBalance", [.string(address.checksummed), block.json]) { result throws(EVMResultError) in
            try EVMHex.parseUInt256(result, "balance")
        }
    }

    public func code(at address: EthereumAddress, block: EVMBlockTag = .latest) async throws(JSONRPCClientError)
        -> [UInt8]
    {
        try await read("eth_getCode", [.string(address.checksummed), block.json]) { result throws(EVMResultError) in
            try EVMHex.parseData(result, "code")
        }
    }

    /// Base fees and priority-fee percentiles of the last `blocks` blocks.
    public func feeHistory(blocks: Int, newest: EVMBlockTag = .latest, percentiles: [Double])
        async throws(JSONRPCClientError) -> EVMFeeHistory
    {
        try await read(
            "eth_feeHistory", [EVMHex.quantity(UInt64(blocks)), newest.json, .array(percentiles.map { .double($0) })]
        ) { result throws(EVMResultError) in
            let baseFees = try (result["baseFeePerGas"]?.arrayValue ?? []).enumerated().map {
                index, value throws(EVMResultError) in try EVMHex.parseUInt256(value, "baseFeePerGas[\(index)]")
            }
            let rewards = try (result["reward"]?.arrayValue ?? []).map { row throws(EVMResultError) in
                try (row.arrayValue ?? []).map { value throws(EVMResultError) in
                    try EVMHex.parseUInt256(value, "reward")
                }
            }
            guard !baseFees.isEmpty else { throw EVMResultError("baseFeePerGas is empty") }
            return EVMFeeHistory(
                oldestBlock: try EVMHex.parseUInt64(result["oldestBlock"], "oldestBlock"), baseFeePerGas: baseFees,
                reward: rewards, gasUsedRatio: (result["gasUsedRatio"]?.arrayValue ?? []).compactMap(\.doubleValue))
        }
    }

    public func estimateGas(_ call: EVMCall) async throws(JSONRPCClientError) -> UInt64 {
        try await read("eth_estimateGas", [Self.json(call)]) { result throws(EVMResultError) in
            try EVMHex.parseUInt64(result, "gas estimate")
        }
    }

    /// Runs `call` without a transaction and returns its output.
    public func call(_ call: EVMCall, at block: EVMBlockTag = .latest) async throws(JSONRPCClientError) -> [UInt8] {
        try await read("eth_call", [Self.json(call), block.json]) { result throws(EVMResultError) in
            try EVMHex.parseData(result, "call output")
        }
    }

    /// Sends signed raw bytes; returns the transaction hash the node reports.
    public func sendRawTransaction(_ raw: [UInt8]) async throws(JSONRPCClientError) -> Hash {
        try await read("eth_sendRawTransaction", [EVMHex.data(raw)]) { result throws(EVMResultError) in
            try EVMHex.parseHash(result, "transaction hash")
        }
    }

    /// The receipt, or nil while the transaction is not in a block.
    public func receipt(of transaction: Hash) async throws(JSONRPCClientError) -> EVMReceipt? {
        try await read("eth_getTransactionReceipt", [EVMHex.data(transaction.bytes)]) {
            result throws(EVMResultError) -> EVMReceipt? in
            if result.isNull { return nil }
            let logs = try (result["logs"]?.arrayValue ?? []).map { log throws(EVMResultError) in try Self.log(log) }
            let contract = result["contractAddress"]?.nonNull
            return EVMReceipt(
                transactionHash: try EVMHex.parseHash(result["transactionHash"], "transactionHash"),
                blockNumber: try EVMHex.parseUInt64(result["blockNumber"], "blockNumber"),
                blockHash: try EVMHex.parseHash(result["blockHash"], "blockHash"),
                succeeded: try EVMHex.parseUInt64(result["status"], "status") == 1,
                gasUsed: try EVMHex.parseUInt64(result["gasUsed"], "gasUsed"),
                effectiveGasPrice: try EVMHex.parseUInt256(result["effectiveGasPrice"], "effectiveGasPrice"),
                contractAddress: try contract.map { value throws(EVMResultError) in
                    try EVMHex.parseAddress(value, "contractAddress")
                },
                logs: logs)
        }
    }

    /// The header of block `number`, or nil when there is no such block yet.
    public func block(_ tag: EVMBlockTag) async throws(JSONRPCClientError) -> EVMBlockHeader? {
        try await read("eth_getBlockByNumber", [tag.json, false]) { result throws(EVMResultError) -> EVMBlockHeader? in
            if result.isNull { return nil }
            return EVMBlockHeader(
                number: try EVMHex.parseUInt64(result["number"], "number"),
                hash: try EVMHex.parseHash(result["hash"], "hash"),
                parentHash: try EVMHex.parseHash(result["parentHash"], "parentHash"),
                baseFeePerGas: try result["baseFeePerGas"]?.nonNull.map { value throws(EVMResultError) in
                    try EVMHex.parseUInt256(value, "baseFeePerGas")
                },
                timestamp: try EVMHex.parseUInt64(result["timestamp"], "timestamp"))
        }
    }

    /// Logs of `address` in `fromBlock...toBlock` whose first topic is `topic0` (any when nil).
    public func logs(address: EthereumAddress, topic0: Hash?, fromBlock: EVMBlockTag, toBlock: EVMBlockTag)
        async throws(JSONRPCClientError) -> [EVMLog]
    {
        var filter: JSONObject = [
            "address": .string(address.checksummed), "fromBlock": fromBlock.json, "toBlock": toBlock.json,
        ]
        if let topic0 { filter["topics"] = .array([EVMHex.data(topic0.bytes)]) }
        return try await read("eth_getLogs", [.object(filter)]) { result throws(EVMResultError) in
            guard let entries = result.arrayValue else { throw EVMResultError("logs is not an array") }
            return try entries.map { entry throws(EVMResultError) in try Self.log(entry) }
        }
    }

    // MARK: - Helpers

    private func read<T>(
        _ method: String, _ params: [JSONValue] = [], parse: (JSONValue) throws(EVMResultError) -> T
    ) async throws(JSONRPCClientError) -> T {
        let result = try await rpc.call(method, params)
        do { return try parse(result) } catch { throw .unexpectedResult(method: method, reason: error.reason) }
    }

    static func json(_ call: EVMCall) -> JSONValue {
        var object: JSONObject = ["data": EVMHex.data(call.data)]
        if let from = call.from { object["from"] = .string(from.checksummed) }
        if let to = call.to { object["to"] = .string(to.checksummed) }
        if call.value != .zero { object["value"] = EVMHex.quantity(call.value) }
        return .object(object)
    }

    static func log(_ value: JSONValue) throws(EVMResultError) -> EVMLog {
        EVMLog(
            address: try EVMHex.parseAddress(value["address"], "log address"),
            topics: try (value["topics"]?.arrayValue ?? []).map { topic throws(EVMResultError) in
                try EVMHex.parseHash(topic, "log topic")
            },
            data: try EVMHex.parseData(value["data"], "log data"),
            blockNumber: try EVMHex.parseUInt64(value["blockNumber"], "log blockNumber"),
            transactionHash: try EVMHex.parseHash(value["transactionHash"], "log transactionHash"),
            logIndex: try EVMHex.parseUInt64(value["logIndex"], "logIndex"))
    }
}
