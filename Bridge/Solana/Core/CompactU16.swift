/// Solana's "compact-u16" (short_vec) length: 7 bits per byte, low bits first, at most 3 bytes,
/// in its shortest form.
enum CompactU16 {
    static func append(_ value: Int, to out: inout [UInt8]) {
        precondition((0...0xffff).contains(value), "compact-u16 holds 0...65535")
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(rest & 0x7f) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    static func read(_ bytes: [UInt8], at offset: inout Int) throws(SolanaError) -> Int {
        var value = 0
        for position in 0..<3 {
            guard offset < bytes.count else { throw .malformed("a length ends early at byte \(offset)") }
            let byte = bytes[offset]
            offset += 1
            value |= Int(byte & 0x7f) << (7 * position)
            if byte & 0x80 == 0 {
                // Shortest form: no zero final byte after the first, and within 16 bits.
                guard position == 0 || byte != 0 else { throw .malformed("a length is not in its shortest form") }
                guard value <= 0xffff else { throw .malformed("a length exceeds 65535") }
                return value
            }
        }
        throw .malformed("a length is longer than 3 bytes")
    }
}
