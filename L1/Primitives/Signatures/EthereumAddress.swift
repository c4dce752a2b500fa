/// A 20-byte Ethereum account address, printed with the EIP-55 mixed-case checksum.
public struct EthereumAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 20 bytes.
    public let bytes: [UInt8]

    init(validated bytes: [UInt8]) { self.bytes = bytes }

    /// An address from its 20 bytes.
    /// - Throws: `KeyError.invalidLength` for any other length.
    public init(_ bytes: [UInt8]) throws(KeyError) {
        guard bytes.count == 20 else { throw .invalidLength(expected: 20, actual: bytes.count) }
        self.bytes = bytes
    }

    /// Parses `0x` + 40 hex digits. All-lower and all-upper case are accepted as they are; mixed
    /// case must match the EIP-55 checksum exactly.
    /// - Throws: `EthereumAddressError` for bad hex, a wrong length or a failed checksum.
    public init(parsing text: String) throws(EthereumAddressError) {
        let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? String(text.dropFirst(2)) : text
        let raw: [UInt8]
        do { raw = try Hex.decode(digits, count: 20) } catch { throw .invalidHex(error) }
        self.bytes = raw
        let hasLower = digits.contains { $0.isLowercase }
        let hasUpper = digits.contains { $0.isUppercase }
        if hasLower && hasUpper && checksummedDigits != digits {
            throw .badChecksum(expected: "0x" + checksummedDigits)
        }
    }

    /// `0x` and the EIP-55 checksummed hex.
    public var checksummed: String { "0x" + checksummedDigits }

    public var description: String { checksummed }

    private var checksummedDigits: String {
        let lower = Hex.encode(bytes)
        let digest = Hashing.keccak256(Array(lower.utf8))
        var out = ""
        for (index, character) in lower.enumerated() {
            let nibble = (digest[index / 2] >> (index % 2 == 0 ? 4 : 0)) & 0x0f
            out.append(character.isLetter && nibble >= 8 ? Character(character.uppercased()) : character)
        }
        return out
    }

    public static func < (lhs: EthereumAddress, rhs: EthereumAddress) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

/// Why a string is not an Ethereum address.
public enum EthereumAddressError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not 40 hex digits.
    case invalidHex(HexError)
    /// Mixed case that does not match EIP-55; `expected` is the correctly checksummed form.
    case badChecksum(expected: String)

    public var description: String {
        switch self {
        case .invalidHex(let error): "not an Ethereum address: \(error)"
        case .badChecksum(let expected): "EIP-55 checksum mismatch (expected \(expected))"
        }
    }
}
