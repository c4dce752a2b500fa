public import EVM

/// EIP-1559 fees for one transaction.
public struct EVMFees: Sendable, Hashable, CustomStringConvertible {
    public var maxFeePerGas: UInt64
    public var maxPriorityFeePerGas: UInt64

    public init(maxFeePerGas: UInt64, maxPriorityFeePerGas: UInt64) {
        self.maxFeePerGas = maxFeePerGas
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
    }

    public var description: String { "max fee \(maxFeePerGas) wei/gas, tip \(maxPriorityFeePerGas) wei/gas" }
}

/// How fees are chosen from `eth_feeHistory` and raised for a stuck transaction. Pure arithmetic,
/// in `UInt64` wei per gas (18 ether per gas: far above any real fee), saturating rather than
/// overflowing.
public struct EVMFeePolicy: Sendable, Hashable {
    /// The percentile of recent priority fees to pay.
    public var rewardPercentile: Double
    /// The smallest tip offered.
    public var minimumPriorityFee: UInt64
    /// Headroom on the next base fee: the max fee is `multiplier × base + tip` (2 survives six
    /// full blocks of 12.5% base-fee growth).
    public var baseFeeMultiplier: UInt64
    /// The raise of a replacement, in per mille (geth and most pools want at least 100 = 10%).
    public var bumpPerMille: UInt64
    /// The highest max fee the sender will ever offer.
    public var maximumFeePerGas: UInt64

    public init(
        rewardPercentile: Double = 50, minimumPriorityFee: UInt64 = 1_000_000_000, baseFeeMultiplier: UInt64 = 2,
        bumpPerMille: UInt64 = 125, maximumFeePerGas: UInt64 = 1_000_000_000_000
    ) {
        self.rewardPercentile = rewardPercentile
        self.minimumPriorityFee = minimumPriorityFee
        self.baseFeeMultiplier = baseFeeMultiplier
        self.bumpPerMille = bumpPerMille
        self.maximumFeePerGas = maximumFeePerGas
    }

    /// Fees from a fee history: the median over the reported blocks of the tip at
    /// `rewardPercentile` (at least `minimumPriorityFee`), and a max fee over the next block's base fee.
    public func quote(_ history: EVMFeeHistory) -> EVMFees {
        let nextBase = history.baseFeePerGas.last.map(Self.saturated) ?? 0
        let tips = history.reward.compactMap { $0.first.map(Self.saturated) }.sorted()
        let median = tips.isEmpty ? 0 : tips[tips.count / 2]
        let tip = min(max(median, minimumPriorityFee), maximumFeePerGas)
        let (scaled, overflow) = nextBase.multipliedReportingOverflow(by: baseFeeMultiplier)
        let maxFee = overflow ? maximumFeePerGas : min(maximumFeePerGas, Self.add(scaled, tip))
        return EVMFees(maxFeePerGas: max(maxFee, tip), maxPriorityFeePerGas: tip)
    }

    /// Fees for a replacement of a transaction sent with `previous`: each raised by at least
    /// `bumpPerMille`, and at least what `current` (a fresh quote) asks; nil when the cap
    /// `maximumFeePerGas` leaves no room for a valid replacement.
    public func bump(_ previous: EVMFees, current: EVMFees) -> EVMFees? {
        func raised(_ value: UInt64) -> UInt64 {
            let (product, overflow) = value.multipliedReportingOverflow(by: 1_000 + bumpPerMille)
            return overflow ? .max : (product + 999) / 1_000
        }
        let tip = max(raised(previous.maxPriorityFeePerGas), current.maxPriorityFeePerGas)
        let maxFee = max(raised(previous.maxFeePerGas), current.maxFeePerGas, tip)
        guard maxFee <= maximumFeePerGas else { return nil }
        return EVMFees(maxFeePerGas: maxFee, maxPriorityFeePerGas: tip)
    }

    static func saturated(_ value: UInt256) -> UInt64 { value.exactUInt64 ?? .max }

    static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}
