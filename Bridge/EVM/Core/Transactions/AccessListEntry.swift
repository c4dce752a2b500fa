public import Primitives

/// One entry of an EIP-2930 access list: an account and storage slots the transaction declares it
/// will touch (paid for up front, then cheaper to access).
public struct AccessListEntry: Hashable, Sendable {
    /// The account.
    public var address: EthereumAddress
    /// The 32-byte storage keys of that account.
    public var storageKeys: [Hash]

    /// An entry for `address` and its `storageKeys`.
    public init(address: EthereumAddress, storageKeys: [Hash] = []) {
        self.address = address
        self.storageKeys = storageKeys
    }

    /// `[address, [key…]]`.
    var rlp: RLPItem {
        .list([.bytes(address.bytes), .list(storageKeys.map { .bytes($0.bytes) })])
    }

    /// An entry from its RLP form, which must be exactly `[20 bytes, [32 bytes…]]`.
    init(rlp item: RLPItem) throws(TransactionError) {
        let fields = try item.fields(2)
        address = try fields[0].address()
        guard let keys = fields[1].listItems else { throw .malformed(.expectedList) }
        storageKeys = []
        for key in keys {
            let bytes = try key.exactBytes(32)
            storageKeys.append(try! Hash(bytes))
        }
    }
}

extension RLPItem {
    /// The `count` items of a list.
    func fields(_ count: Int) throws(TransactionError) -> [RLPItem] {
        guard let items = listItems else { throw .malformed(.expectedList) }
        guard items.count == count else { throw .malformed(.wrongItemCount(expected: count, actual: items.count)) }
        return items
    }

    /// A byte string of exactly `count` bytes.
    func exactBytes(_ count: Int) throws(TransactionError) -> [UInt8] {
        guard let bytes = byteString else { throw .malformed(.expectedBytes) }
        guard bytes.count == count else { throw .malformed(.wrongLength(expected: count, actual: bytes.count)) }
        return bytes
    }

    /// A 20-byte address.
    func address() throws(TransactionError) -> EthereumAddress {
        try! EthereumAddress(try exactBytes(20))
    }

    /// A transaction's `to`: empty for contract creation, else 20 bytes.
    func recipient() throws(TransactionError) -> EthereumAddress? {
        if byteString == [] { return nil }
        return try address()
    }

    /// A byte string.
    func data() throws(TransactionError) -> [UInt8] {
        guard let bytes = byteString else { throw .malformed(.expectedBytes) }
        return bytes
    }

    /// A canonical integer of at most 64 bits.
    func uint64() throws(TransactionError) -> UInt64 {
        do { return try uint64Value() } catch { throw .malformed(error) }
    }

    /// A canonical integer of at most 256 bits.
    func uint256() throws(TransactionError) -> UInt256 {
        do { return try uint256Value() } catch { throw .malformed(error) }
    }

    /// The RLP form of a transaction's `to`.
    init(recipient: EthereumAddress?) {
        self = .bytes(recipient?.bytes ?? [])
    }
}
