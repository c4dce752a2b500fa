/// Base58 with Bitcoin's alphabet, as Solana writes public keys, signatures and blockhashes.
public enum Base58 {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = Int8(index) }
        return table
    }()

    /// The base58 text of `bytes` (each leading zero byte becomes a leading `1`).
    public static func encode(_ bytes: [UInt8]) -> String {
        let zeros = bytes.prefix { $0 == 0 }.count
        // Base-58 digits, least significant first; log(256)/log(58) < 1.37.
        var digits: [UInt8] = []
        digits.reserveCapacity(bytes.count * 137 / 100 + 1)
        for byte in bytes[zeros...] {
            var carry = Int(byte)
            for index in digits.indices {
                carry += Int(digits[index]) << 8
                digits[index] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.append(UInt8(carry % 58))
                carry /= 58
            }
        }
        let text = [UInt8](repeating: alphabet[0], count: zeros) + digits.reversed().map { alphabet[Int($0)] }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes of base58 `text`.
    /// - Throws: `SolanaError.invalidBase58` for a character outside the alphabet or text longer
    ///   than `maximumLength` characters (decoding is quadratic).
    public static func decode(_ text: String, maximumLength: Int = 128) throws(SolanaError) -> [UInt8] {
        let characters = Array(text.utf8)
        guard characters.count <= maximumLength else { throw .invalidBase58("longer than \(maximumLength) characters") }
        let zeros = characters.prefix { $0 == alphabet[0] }.count
        var bytes: [UInt8] = []  // least significant first
        for character in characters[zeros...] {
            guard character < 128, values[Int(character)] >= 0 else {
                throw .invalidBase58("'\(Character(Unicode.Scalar(character)))' is not a base58 digit")
            }
            var carry = Int(values[Int(character)])
            for index in bytes.indices {
                carry += Int(bytes[index]) * 58
                bytes[index] = UInt8(carry & 0xff)
                carry >>= 8
            }
            while carry > 0 {
                bytes.append(UInt8(carry & 0xff))
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: zeros) + bytes.reversed()
    }
}
