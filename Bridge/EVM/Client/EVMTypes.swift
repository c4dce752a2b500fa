public import EVM
public import Primitives

/// A call or transaction template for `eth_call` and `eth_estimateGas`.
public struct EVMCall: Sendable, Hashable {
    public var from: EthereumAddress?
    public var to: EthereumAddress?
    public var data: [UInt8]
    public var value: UInt256

    public init(from: EthereumAddress? = nil, to: EthereumAddress?, data: [UInt8], value: UInt256 = .zero) {
        self.from = from
        self.to = to
        self.data = data
        self.value = value
    }
}

/// An event log.
public struct EVMLog: Sendable, Hashable {
    public let address: EthereumAddress
    public let topics: [Hash]
    public let data: [UInt8]
    public let blockNumber: UInt64
    public let transactionHash: Hash
    public let logIndex: UInt64
}

/// A transaction receipt.
public struct EVMReceipt: Sendable, Hashable {
    public let transactionHash: Hash
    public let blockNumber: UInt64
    public let blockHash: Hash
    /// True when execution succeeded (`status` 1).
    public let succeeded: Bool
    public let gasUsed: UInt64
    public let effectiveGasPrice: UInt256
    public let contractAddress: EthereumAddress?
    public let logs: [EVMLog]
}

/// What `eth_feeHistory` reports for recent blocks.
public struct EVMFeeHistory: Sendable, Hashable {
    /// The oldest block reported.
    public let oldestBlock: UInt64
    /// Base fees per gas of the reported blocks and of the next block (one more than the blocks).
    public let baseFeePerGas: [UInt256]
    /// For each block, the priority fee at each requested percentile.
    public let reward: [[UInt256]]
    /// Gas used over gas limit per block.
    public let gasUsedRatio: [Double]
}

/// A block's number, hash and base fee (what confirmation and reorg checks need).
public struct EVMBlockHeader: Sendable, Hashable {
    public let number: UInt64
    public let hash: Hash
    public let parentHash: Hash
    public let baseFeePerGas: UInt256?
    public let timestamp: UInt64
}
