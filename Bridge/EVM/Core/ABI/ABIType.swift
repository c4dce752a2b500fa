/// A Solidity ABI type, as far as our settlement contract's calls need: unsigned integers,
/// addresses, booleans, fixed byte strings, `bytes`, dynamic arrays and tuples.
///
/// Signed integers, `string`, fixed-size arrays `T[k]` and fixed-point types are left out until a
/// contract call needs them; the encoder and decoder reject nothing silently, they simply have no
/// case for them.
public indirect enum ABIType: Hashable, Sendable, CustomStringConvertible {
    /// `uint<bits>`, with `bits` a multiple of 8 in 8...256.
    case uint(bits: Int)
    /// `address`: 20 bytes, left-padded with zeros to a word.
    case address
    /// `bool`: the word 0 or 1.
    case bool
    /// `bytes<count>`, with `count` in 1...32: right-padded with zeros to a word.
    case fixedBytes(Int)
    /// `bytes`: a length word, then the bytes right-padded to whole words.
    case bytes
    /// `T[]`: a length word, then the elements encoded as a tuple.
    case array(ABIType)
    /// `(T1,…,Tn)`.
    case tuple([ABIType])

    /// `uint256`.
    public static let uint256 = ABIType.uint(bits: 256)
    /// `uint64`.
    public static let uint64 = ABIType.uint(bits: 64)
    /// `bytes32`.
    public static let bytes32 = ABIType.fixedBytes(32)

    /// The canonical name used in function signatures (`uint256`, `bytes32[]`, `(address,bool)`).
    public var description: String {
        switch self {
        case .uint(let bits): "uint\(bits)"
        case .address: "address"
        case .bool: "bool"
        case .fixedBytes(let count): "bytes\(count)"
        case .bytes: "bytes"
        case .array(let element): "\(element)[]"
        case .tuple(let elements): "(" + elements.map(\.description).joined(separator: ",") + ")"
        }
    }

    /// Dynamic types are encoded out of line, behind an offset in their enclosing tuple's head.
    public var isDynamic: Bool {
        switch self {
        case .uint, .address, .bool, .fixedBytes: false
        case .bytes, .array: true
        case .tuple(let elements): elements.contains { $0.isDynamic }
        }
    }

    /// Bytes this type takes in its enclosing head: one word for a dynamic type (its offset), the
    /// whole encoding for a static one.
    var headSize: Int {
        if case .tuple(let elements) = self, !isDynamic { return elements.reduce(0) { $0 + $1.headSize } }
        return 32
    }

    /// Checks the parameters of sized types (`uint<bits>`, `bytes<count>`) throughout the type.
    func validate() throws(ABIError) {
        switch self {
        case .uint(let bits):
            guard bits >= 8 && bits <= 256 && bits % 8 == 0 else { throw .invalidType("uint\(bits)") }
        case .fixedBytes(let count):
            guard count >= 1 && count <= 32 else { throw .invalidType("bytes\(count)") }
        case .address, .bool, .bytes: break
        case .array(let element): try element.validate()
        case .tuple(let elements): for element in elements { try element.validate() }
        }
    }
}
