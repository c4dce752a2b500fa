public import EVM
public import Primitives
public import RPC

/// The hex forms of Ethereum's JSON-RPC: quantities (`0x` + minimal hex, `0x0` for zero) and data
/// (`0x` + an even number of hex digits).
enum EVMHex {
    static func quantity(_ value: UInt64) -> JSONValue { .string("0x" + String(value, radix: 16)) }

    static func quantity(_ value: UInt256) -> JSONValue {
        let bytes = value.minimalBigEndianBytes
        guard !bytes.isEmpty else { return "0x0" }
        var digits = Hex.encode(bytes)
        if digits.hasPrefix("0") { digits.removeFirst() }
        return .string("0x" + digits)
    }

    static func data(_ bytes: [UInt8]) -> JSONValue { .string("0x" + Hex.encode(bytes)) }

    static func parseUInt64(_ value: JSONValue?, _ field: String) throws(EVMResultError) -> UInt64 {
        let digits = try digits(value, field)
        guard digits.count <= 16, let parsed = UInt64(digits.isEmpty ? "0" : digits, radix: 16) else {
            throw EVMResultError("\(field) is not a 64-bit hex quantity")
        }
        return parsed
    }

    static func parseUInt256(_ value: JSONValue?, _ field: String) throws(EVMResultError) -> UInt256 {
        let digits = try digits(value, field)
        guard let parsed = try? UInt256(hex: digits.isEmpty ? "0" : digits) else {
            throw EVMResultError("\(field) is not a 256-bit hex quantity")
        }
        return parsed
    }

    static func parseData(_ value: JSONValue?, _ field: String) throws(EVMResultError) -> [UInt8] {
        guard let text = value?.stringValue, text.hasPrefix("0x") else {
            throw EVMResultError("\(field) is not 0x-prefixed hex data")
        }
        guard let bytes = try? Hex.decode(String(text.dropFirst(2))) else {
            throw EVMResultError("\(field) is not 0x-prefixed hex data")
        }
        return bytes
    }

    static func parseHash(_ value: JSONValue?, _ field: String) throws(EVMResultError) -> Hash {
        let bytes = try parseData(value, field)
        guard let hash = try? Hash(bytes) else { throw EVMResultError("\(field) is not 32 bytes") }
        return hash
    }

    static func parseAddress(_ value: JSONValue?, _ field: String) throws(EVMResultError) -> EthereumAddress {
        guard let text = value?.stringValue, let address = try? EthereumAddress(parsing: text) else {
            throw EVMResultError("\(field) is not an address")
        }
        return address
    }

    private static func digits(_ value: JSONValue?, _ field: String) throws(EVMResultError) -> String {
        guard let text = value?.stringValue, text.hasPrefix("0x") || text.hasPrefix("0X") else {
            throw EVMResultError("\(field) is missing or not a 0x-prefixed quantity")
        }
        let digits = String(text.dropFirst(2))
        guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit) else {
            throw EVMResultError("\(field) is not a hex quantity: \(text.prefix(80))")
        }
        return digits
    }
}

/// A result field that does not have the documented shape.
struct EVMResultError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
