public import Primitives

/// A value to encode with, or decoded from, the Solidity ABI; its `ABIType` comes separately.
public indirect enum ABIValue: Hashable, Sendable {
    /// A value of any `uint<bits>` type (`.uint(69)` works through `UInt256`'s integer literals).
    case uint(UInt256)
    /// An `address`.
    case address(EthereumAddress)
    /// A `bool`.
    case bool(Bool)
    /// A `bytes<count>` value; holds exactly `count` bytes.
    case fixedBytes([UInt8])
    /// A `bytes` value.
    case bytes([UInt8])
    /// The elements of a `T[]`.
    case array([ABIValue])
    /// The elements of a tuple.
    case tuple([ABIValue])

    /// A `bytes32` value from a hash (a batch id, a Merkle root or proof node).
    public static func bytes32(_ hash: Hash) -> ABIValue { .fixedBytes(hash.bytes) }

    /// The integer of a `.uint`, else nil.
    public var uintValue: UInt256? {
        if case .uint(let value) = self { value } else { nil }
    }

    /// The address of an `.address`, else nil.
    public var addressValue: EthereumAddress? {
        if case .address(let value) = self { value } else { nil }
    }

    /// The flag of a `.bool`, else nil.
    public var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// The bytes of a `.fixedBytes` or `.bytes`, else nil.
    public var bytesValue: [UInt8]? {
        switch self {
        case .fixedBytes(let value), .bytes(let value): value
        default: nil
        }
    }

    /// A 32-byte `.fixedBytes` as a hash, else nil.
    public var bytes32Value: Hash? {
        if case .fixedBytes(let value) = self, value.count == 32 { try? Hash(value) } else { nil }
    }

    /// The elements of an `.array` or `.tuple`, else nil.
    public var elements: [ABIValue]? {
        switch self {
        case .array(let values), .tuple(let values): values
        default: nil
        }
    }
}
