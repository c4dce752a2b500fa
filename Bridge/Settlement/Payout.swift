public import EVM
public import Primitives

/// Which family of chains a payout is paid on. Its raw value is the `kind` word of the leaf.
public enum PayoutKind: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// An EVM chain: a 20-byte recipient and asset (zero asset: native ether), a uint256 amount.
    case evm = 1
    /// Solana: a 32-byte owner and SPL mint (zero mint: lamports), a uint64 amount.
    case solana = 2

    public var description: String {
        switch self {
        case .evm: "evm"
        case .solana: "solana"
        }
    }
}

/// One payment of a settlement batch (Docs/spec/settlement.md, "The batch").
///
/// `recipient` and `asset` are always 32 bytes: an EVM address is left-padded with zeros, which is
/// what `abi.encode` and the contract's leaf do.
public struct Payout: Sendable, Hashable {
    public let kind: PayoutKind
    public let recipient: [UInt8]
    public let asset: [UInt8]
    public let amount: UInt256

    /// A payout, checked against the rules of its kind.
    /// - Throws: `SettlementError.invalidPayout` (index 0; a batch reports the real index).
    public init(kind: PayoutKind, recipient: [UInt8], asset: [UInt8], amount: UInt256) throws(SettlementError) {
        self.kind = kind
        self.recipient = recipient
        self.asset = asset
        self.amount = amount
        if let reason = violation { throw .invalidPayout(index: 0, reason: reason) }
    }

    /// An EVM payout; `token` nil pays native ether.
    public static func evm(to recipient: EthereumAddress, amount: UInt256, token: EthereumAddress? = nil)
        throws(SettlementError) -> Payout
    {
        try Payout(kind: .evm, recipient: padded(recipient), asset: token.map(padded) ?? zeroWord, amount: amount)
    }

    /// A Solana payout to the owner `recipient`; `mint` nil pays lamports.
    public static func solana(to recipient: [UInt8], amount: UInt64, mint: [UInt8]? = nil) throws(SettlementError)
        -> Payout
    {
        try Payout(kind: .solana, recipient: recipient, asset: mint ?? zeroWord, amount: UInt256(amount))
    }

    /// The recipient as an EVM address, when this is a well-formed EVM payout.
    public var evmRecipient: EthereumAddress? { kind == .evm ? try? EthereumAddress(Array(recipient[12...])) : nil }

    /// The ERC-20 token, or nil for native ether (EVM payouts only).
    public var evmToken: EthereumAddress? {
        guard kind == .evm, asset != Self.zeroWord else { return nil }
        return try? EthereumAddress(Array(asset[12...]))
    }

    /// True when the asset is the chain's native coin (ether or lamports).
    public var isNativeAsset: Bool { asset == Self.zeroWord }

    /// The first rule this payout breaks, or nil.
    var violation: String? {
        guard recipient.count == 32 else { return "the recipient must be 32 bytes, not \(recipient.count)" }
        guard asset.count == 32 else { return "the asset must be 32 bytes, not \(asset.count)" }
        guard amount != .zero else { return "the amount must be above zero" }
        switch kind {
        case .evm:
            guard recipient[..<12].allSatisfy({ $0 == 0 }), asset[..<12].allSatisfy({ $0 == 0 }) else {
                return "an EVM recipient and asset are 20-byte addresses left-padded with zeros"
            }
            guard recipient != Self.zeroWord else { return "the recipient is the zero address" }
        case .solana:
            guard amount.exactUInt64 != nil else { return "a Solana amount must fit in 64 bits" }
        }
        return nil
    }

    static let zeroWord = [UInt8](repeating: 0, count: 32)

    static func padded(_ address: EthereumAddress) -> [UInt8] { [UInt8](repeating: 0, count: 12) + address.bytes }
}

extension Payout: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(kind.rawValue)
        encoder.write(fixed: recipient)
        encoder.write(fixed: asset)
        encoder.write(fixed: amount.bigEndianBytes)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let offset = decoder.offset
        let tag = try decoder.read(UInt8.self)
        guard let kind = PayoutKind(rawValue: tag) else {
            throw .unknownTag(offset: offset, tag: UInt64(tag), type: "PayoutKind")
        }
        let recipient = try decoder.readFixed(count: 32)
        let asset = try decoder.readFixed(count: 32)
        let amountBytes = try decoder.readFixed(count: 32)
        // 32 bytes always fit 256 bits.
        let amount = try! UInt256(bigEndian: amountBytes)
        do { try self.init(kind: kind, recipient: recipient, asset: asset, amount: amount) } catch {
            throw .invalidValue(offset: offset, reason: error.description)
        }
    }
}
