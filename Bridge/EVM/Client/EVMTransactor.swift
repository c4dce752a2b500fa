public import BridgeRPC
public import EVM
public import Primitives

/// Why the transactor could not land a transaction.
public enum EVMSendError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The node's chain id is not the one the transactor signs for.
    case wrongChain(expected: UInt64, actual: UInt64)
    /// The call would revert (from gas estimation), with the node's reason.
    case wouldRevert(String)
    /// The transaction was mined and reverted.
    case reverted(EVMReceipt)
    /// The fee cap leaves no room for another replacement of a stuck transaction.
    case feeCapReached(EVMFees)
    /// No receipt after the time allowed.
    case timedOut(nonce: UInt64, hashes: [Hash])
    /// The node failed or refused the call.
    case rpc(JSONRPCClientError)

    public var description: String {
        switch self {
        case .wrongChain(let expected, let actual): "the node serves chain \(actual), not \(expected)"
        case .wouldRevert(let reason): "the transaction would revert: \(reason)"
        case .reverted(let receipt):
            "transaction \(receipt.transactionHash.hex) reverted in block \(receipt.blockNumber)"
        case .feeCapReached(let fees): "a stuck transaction cannot be replaced under the fee cap (last: \(fees))"
        case .timedOut(let nonce, let hashes):
            "no receipt for nonce \(nonce) (\(hashes.count) transaction\(hashes.count == 1 ? "" : "s") sent)"
        case .rpc(let error): error.description
        }
    }
}

/// A transaction the transactor broadcast: what a caller persists before waiting, so a restart
/// can look for its receipt instead of sending again.
public struct EVMSentTransaction: Sendable, Hashable {
    public let nonce: UInt64
    public let hash: Hash
    public let fees: EVMFees
}

/// Settings of an `EVMTransactor`.
public struct EVMTransactorOptions: Sendable {
    /// Blocks on top of the receipt's block before it counts (1 = the block itself).
    public var confirmations: UInt64
    /// Pause between receipt polls.
    public var pollInterval: Duration
    /// Time without a receipt before the fees are raised.
    public var bumpAfter: Duration
    /// Time without a receipt before giving up (the transaction may still land; the caller keeps
    /// its hashes).
    public var timeout: Duration
    /// Gas limit = estimate × (1000 + margin) / 1000.
    public var gasMarginPerMille: UInt64
    public var fees: EVMFeePolicy

    public init(
        confirmations: UInt64 = 1, pollInterval: Duration = .milliseconds(200), bumpAfter: Duration = .seconds(30),
        timeout: Duration = .seconds(300), gasMarginPerMille: UInt64 = 200, fees: EVMFeePolicy = EVMFeePolicy()
    ) {
        self.confirmations = max(1, confirmations)
        self.pollInterval = pollInterval
        self.bumpAfter = bumpAfter
        self.timeout = timeout
        self.gasMarginPerMille = gasMarginPerMille
        self.fees = fees
    }
}

/// Sends EIP-1559 transactions from one key and sees them to a confirmed receipt: it keeps the
/// nonce, prices fees from `eth_feeHistory`, replaces a stuck transaction with raised fees (same
/// nonce), waits for the confirmation depth and re-checks the receipt's block against the chain
/// so a reorged receipt is not taken as final.
///
/// One transactor per key: it assumes nobody else sends from the key (a nonce taken by another
/// sender is noticed and skipped, at the cost of a resend).
public actor EVMTransactor {
    public let client: EVMRPCClient
    public let chainId: UInt64
    public let address: EthereumAddress
    public let options: EVMTransactorOptions
    private let key: Secp256k1.PrivateKey
    private var nextNonce: UInt64?

    /// A transactor for `key` on the node behind `client`; checks the node's chain id.
    /// - Throws: `EVMSendError.wrongChain` or `.rpc`.
    public init(
        client: EVMRPCClient, key: Secp256k1.PrivateKey, chainId: UInt64, options: EVMTransactorOptions = .init()
    )
        async throws(EVMSendError)
    {
        let actual: UInt64
        do { actual = try await client.chainId() } catch { throw .rpc(error) }
        guard actual == chainId else { throw .wrongChain(expected: chainId, actual: actual) }
        self.client = client
        self.key = key
        self.chainId = chainId
        self.address = key.publicKey.ethereumAddress
        self.options = options
    }

    /// Sends a call to `to` (nil deploys `data`) and returns its confirmed, successful receipt.
    /// `sent` is told of every broadcast before the transactor waits on it.
    /// - Throws: `EVMSendError`; `.wouldRevert` before anything is sent when estimation fails.
    public func send(
        to: EthereumAddress?, data: [UInt8], value: UInt256 = .zero, gasLimit: UInt64? = nil,
        sent: @Sendable (EVMSentTransaction) async -> Void = { _ in }
    ) async throws(EVMSendError) -> EVMReceipt {
        let gas: UInt64
        if let gasLimit {
            gas = gasLimit
        } else {
            gas = try await estimate(EVMCall(from: address, to: to, data: data, value: value))
        }
        var fees = try await quote()
        var nonce = try await takeNonce()
        var hashes: [Hash] = []
        var lastRaw: [UInt8]?
        let clock = ContinuousClock()
        let start = clock.now
        var lastBroadcast = start
        broadcast: while true {
            let signed = EIP1559Transaction(
                chainId: chainId, nonce: nonce, maxPriorityFeePerGas: UInt256(fees.maxPriorityFeePerGas),
                maxFeePerGas: UInt256(fees.maxFeePerGas), gasLimit: gas, to: to, value: value, data: data
            ).signed(with: key)
            switch try await submit(signed) {
            case .accepted:
                hashes.append(signed.hash)
                lastRaw = signed.rawEncoding
                await sent(EVMSentTransaction(nonce: nonce, hash: signed.hash, fees: fees))
            case .nonceUsed:
                // Either one of ours for this nonce landed, or someone else took it.
                if let receipt = try await firstReceipt(hashes) {
                    return try await confirm(receipt, hashes: hashes, rebroadcast: lastRaw)
                }
                nextNonce = nil
                nonce = try await takeNonce()
                hashes.removeAll()
                continue broadcast
            case .underpriced:
                guard let raised = options.fees.bump(fees, current: try await quote()) else {
                    throw .feeCapReached(fees)
                }
                fees = raised
                continue broadcast
            }
            lastBroadcast = clock.now
            while true {
                if let receipt = try await firstReceipt(hashes) {
                    return try await confirm(receipt, hashes: hashes, rebroadcast: lastRaw)
                }
                if clock.now - start > options.timeout { throw .timedOut(nonce: nonce, hashes: hashes) }
                if clock.now - lastBroadcast > options.bumpAfter {
                    guard let raised = options.fees.bump(fees, current: try await quote()) else {
                        throw .feeCapReached(fees)
                    }
                    fees = raised
                    continue broadcast
                }
                try? await Task.sleep(for: options.pollInterval)
            }
        }
    }

    /// Waits for a confirmed receipt of any of `hashes` (sent earlier, perhaps by a process that
    /// has since restarted); nil when none is mined within `within`.
    public func awaitReceipt(of hashes: [Hash], within: Duration) async throws(EVMSendError) -> EVMReceipt? {
        let clock = ContinuousClock()
        let deadline = clock.now + within
        while clock.now < deadline {
            if let receipt = try await firstReceipt(hashes) { return try await confirm(receipt, hashes: hashes) }
            try? await Task.sleep(for: options.pollInterval)
        }
        return nil
    }

    /// Runs `call` as this sender at the latest block.
    public func call(to: EthereumAddress, data: [UInt8]) async throws(EVMSendError) -> [UInt8] {
        do { return try await client.call(EVMCall(from: address, to: to, data: data)) } catch { throw .rpc(error) }
    }

    // MARK: - Steps

    private enum Submission { case accepted, nonceUsed, underpriced }

    private func submit(_ signed: SignedTransaction) async throws(EVMSendError) -> Submission {
        do {
            _ = try await client.sendRawTransaction(signed.rawEncoding)
            return .accepted
        } catch {
            guard case .server(_, _, let message) = error else { throw .rpc(error) }
            let text = message.lowercased()
            if text.contains("already known") || text.contains("known transaction") || text.contains("already imported")
            {
                return .accepted
            }
            if text.contains("nonce too low") || text.contains("nonce is too low") { return .nonceUsed }
            if text.contains("underpriced") || text.contains("fee too low") { return .underpriced }
            throw .rpc(error)
        }
    }

    private func estimate(_ call: EVMCall) async throws(EVMSendError) -> UInt64 {
        do {
            let estimate = try await client.estimateGas(call)
            let (scaled, overflow) = estimate.multipliedReportingOverflow(by: 1_000 + options.gasMarginPerMille)
            return overflow ? estimate : scaled / 1_000
        } catch {
            if case .server(_, _, let message) = error { throw .wouldRevert(message) }
            throw .rpc(error)
        }
    }

    private func quote() async throws(EVMSendError) -> EVMFees {
        do {
            let history = try await client.feeHistory(blocks: 10, percentiles: [options.fees.rewardPercentile])
            return options.fees.quote(history)
        } catch { throw .rpc(error) }
    }

    private func takeNonce() async throws(EVMSendError) -> UInt64 {
        if nextNonce == nil {
            do { nextNonce = try await client.transactionCount(of: address, at: .pending) } catch { throw .rpc(error) }
        }
        let nonce = nextNonce!
        nextNonce = nonce + 1
        return nonce
    }

    private func firstReceipt(_ hashes: [Hash]) async throws(EVMSendError) -> EVMReceipt? {
        for hash in hashes.reversed() {
            do { if let receipt = try await client.receipt(of: hash) { return receipt } } catch { throw .rpc(error) }
        }
        return nil
    }

    /// Waits until `receipt` is `confirmations` deep and still in the canonical chain; follows it
    /// if a reorg moved it, and throws `.reverted` for a failed execution.
    private func confirm(_ first: EVMReceipt, hashes: [Hash], rebroadcast raw: [UInt8]? = nil)
        async throws(EVMSendError)
        -> EVMReceipt
    {
        var receipt = first
        while true {
            let head: UInt64
            do { head = try await client.blockNumber() } catch { throw .rpc(error) }
            if head + 1 >= receipt.blockNumber + options.confirmations {
                let canonical: EVMBlockHeader?
                do { canonical = try await client.block(.number(receipt.blockNumber)) } catch { throw .rpc(error) }
                if canonical?.hash == receipt.blockHash {
                    guard receipt.succeeded else { throw .reverted(receipt) }
                    return receipt
                }
                // Reorged out: wait for it (or a replacement) to be mined again. A node that dropped
                // it with the orphaned block gets the same signed bytes again (harmless if it kept it).
                if let again = try await firstReceipt(hashes) {
                    receipt = again
                    continue
                }
                if let raw { _ = try? await client.sendRawTransaction(raw) }
            }
            try? await Task.sleep(for: options.pollInterval)
        }
    }
}
