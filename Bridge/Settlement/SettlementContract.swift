public import EVM
internal import Primitives

/// The calls of the EVM settlement contract (`Bridge/Contracts/BatchSettlement.vy`) as ABI
/// functions, and the call data built from settlement values.
public enum SettlementContract {
    public static let recordBatch = ABIFunction(
        name: "recordBatch", inputs: [.uint256, .bytes32, .array(.bytes)])
    public static let rotateCommittee = ABIFunction(
        name: "rotateCommittee", inputs: [.array(.address), .array(.uint256), .uint256, .array(.bytes)])
    public static let claim = ABIFunction(
        name: "claim", inputs: [.uint256, .uint256, .address, .address, .uint256, .array(.bytes32)])
    public static let roots = ABIFunction(name: "roots", inputs: [.uint256], outputs: [.bytes32])
    public static let isClaimed = ABIFunction(name: "isClaimed", inputs: [.uint256, .uint256], outputs: [.bool])
    public static let epoch = ABIFunction(name: "epoch", inputs: [], outputs: [.uint256])
    public static let threshold = ABIFunction(name: "threshold", inputs: [], outputs: [.uint256])
    public static let weightOf = ABIFunction(name: "weightOf", inputs: [.address], outputs: [.uint256])

    /// `recordBatch(batchId, root, signatures)`.
    public static func recordBatchCall(_ batch: SettlementBatch, signatures: [[UInt8]]) -> [UInt8] {
        try! recordBatch.encodeCall([
            .uint(UInt256(batch.batchId)), .bytes32(batch.root), .array(signatures.map { .bytes($0) }),
        ])
    }

    /// `rotateCommittee(members, weights, threshold, signatures)` handing over to `next`.
    public static func rotateCommitteeCall(_ next: Committee, signatures: [[UInt8]]) -> [UInt8] {
        try! rotateCommittee.encodeCall(
            EVMAttestation.committeeArguments(next) + [.array(signatures.map { .bytes($0) })])
    }

    /// `claim(batchId, index, recipient, asset, amount, proof)` for EVM payout `index` of `batch`.
    /// - Throws: `SettlementError` when the payout is not an EVM payout or the index is outside.
    public static func claimCall(_ batch: SettlementBatch, index: Int) throws(SettlementError) -> [UInt8] {
        let proof = try batch.tree.proof(for: index)
        let payout = batch.payouts[index]
        guard let recipient = payout.evmRecipient else {
            throw .invalidPayout(index: index, reason: "payout \(index) is a \(payout.kind) payout, not an EVM one")
        }
        let asset = payout.evmToken ?? (try! EthereumAddress([UInt8](repeating: 0, count: 20)))
        return try! claim.encodeCall([
            .uint(UInt256(batch.batchId)), .uint(UInt256(UInt64(index))), .address(recipient), .address(asset),
            .uint(payout.amount), .array(proof.map { .bytes32($0) }),
        ])
    }

    /// `roots(batchId)`.
    public static func rootsCall(batchId: UInt64) -> [UInt8] { try! roots.encodeCall([.uint(UInt256(batchId))]) }

    /// `isClaimed(batchId, index)`.
    public static func isClaimedCall(batchId: UInt64, index: Int) -> [UInt8] {
        try! isClaimed.encodeCall([.uint(UInt256(batchId)), .uint(UInt256(UInt64(index)))])
    }
}
