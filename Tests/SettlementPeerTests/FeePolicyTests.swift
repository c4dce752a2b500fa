import EVM
import Testing

@testable import EVMClient

@Suite("EIP-1559 fee policy")
struct FeePolicyTests {
    static func history(base: [UInt64], tips: [UInt64]) -> EVMFeeHistory {
        EVMFeeHistory(
            oldestBlock: 1, baseFeePerGas: base.map { UInt256($0) }, reward: tips.map { [UInt256($0)] },
            gasUsedRatio: tips.map { _ in 0.5 })
    }

    @Test("a quote pays the median tip (at least the floor) over twice the next base fee")
    func quote() {
        let policy = EVMFeePolicy()
        let fees = policy.quote(Self.history(base: [10, 11, 12, 20], tips: [3_000_000_000, 1, 2_000_000_000]))
        #expect(fees.maxPriorityFeePerGas == 2_000_000_000)
        #expect(fees.maxFeePerGas == 2 * 20 + 2_000_000_000)
        let floor = policy.quote(Self.history(base: [7], tips: []))
        #expect(floor.maxPriorityFeePerGas == policy.minimumPriorityFee)
        // Absurd base fees saturate at the cap instead of overflowing.
        let huge = EVMFeeHistory(oldestBlock: 0, baseFeePerGas: [.max], reward: [], gasUsedRatio: [])
        #expect(policy.quote(huge).maxFeePerGas == policy.maximumFeePerGas)
    }

    @Test("a replacement raises both fees by at least 12.5%, follows a higher quote, and stops at the cap")
    func bump() {
        let policy = EVMFeePolicy(maximumFeePerGas: 100_000)
        let first = EVMFees(maxFeePerGas: 10_000, maxPriorityFeePerGas: 1_000)
        let raised = policy.bump(first, current: EVMFees(maxFeePerGas: 1, maxPriorityFeePerGas: 1))!
        #expect(raised.maxFeePerGas == 11_250 && raised.maxPriorityFeePerGas == 1_125)
        let market = policy.bump(first, current: EVMFees(maxFeePerGas: 50_000, maxPriorityFeePerGas: 4_000))!
        #expect(market.maxFeePerGas == 50_000 && market.maxPriorityFeePerGas == 4_000)
        var fees = first
        var steps = 0
        while let next = policy.bump(fees, current: fees) {
            #expect(next.maxFeePerGas * 1_000 >= fees.maxFeePerGas * 1_125)
            fees = next
            steps += 1
        }
        #expect(steps > 0 && fees.maxFeePerGas <= 100_000)
    }
}
