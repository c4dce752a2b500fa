import Primitives
import Testing

@testable import EVM

@Suite("Addresses and integers")
struct AddressAndIntegerTests {
    // MARK: - EIP-55 (the test addresses in the EIP text)

    static let eip55Addresses = [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ]

    @Test("EIP-55 addresses parse and print with the same checksum", arguments: eip55Addresses)
    func eip55(text: String) throws {
        let address = try EthereumAddress(parsing: text)
        #expect(address.checksummed == text)
        // All-lower and all-upper case carry no checksum and are accepted as they are.
        #expect(try EthereumAddress(parsing: text.lowercased()) == address)
        #expect(try EthereumAddress(parsing: "0x" + text.dropFirst(2).uppercased()) == address)
    }

    @Test("a mixed-case address with one letter's case flipped is refused", arguments: eip55Addresses)
    func badChecksum(text: String) throws {
        var characters = Array(text)
        let index = try #require(characters.indices.dropFirst(2).first { characters[$0].isLetter })
        characters[index] =
            characters[index].isUppercase
            ? Character(characters[index].lowercased()) : Character(characters[index].uppercased())
        #expect(throws: EthereumAddressError.badChecksum(expected: text)) {
            try EthereumAddress(parsing: String(characters))
        }
    }

    // MARK: - UInt256

    @Test("UInt256 converts between hex, bytes and minimal bytes")
    func uint256Conversions() throws {
        let oneEther = try UInt256(hex: "0xde0b6b3a7640000")
        #expect(oneEther == UInt256(1_000_000_000_000_000_000))
        #expect(Hex.encode(oneEther.minimalBigEndianBytes) == "0de0b6b3a7640000")
        #expect(oneEther.description == "0xde0b6b3a7640000")
        #expect(UInt256.zero.minimalBigEndianBytes.isEmpty && UInt256.zero.description == "0x0")
        #expect(UInt256.max.bigEndianBytes == [UInt8](repeating: 0xff, count: 32))
        #expect(UInt256.max.bitWidth == 256 && UInt256(1).bitWidth == 1 && UInt256.zero.bitWidth == 0)
        #expect(try UInt256(bigEndian: [0, 0, 1, 0]) == UInt256(256))
        #expect(throws: UInt256Error.tooLong(33)) { try UInt256(bigEndian: [UInt8](repeating: 1, count: 33)) }
        #expect(UInt256(5) < UInt256.max && !(UInt256.max < UInt256(5)))
        #expect(UInt256.max.addingReportingOverflow(1) == (UInt256.zero, true))
        let carried = try UInt256(hex: "0xffffffffffffffff").addingReportingOverflow(1)
        #expect(carried.partialValue == (try UInt256(hex: "0x10000000000000000")) && !carried.overflow)
    }

    @Test("RLP integers are minimal, and leading zeros or oversize values are refused")
    func rlpIntegers() throws {
        #expect(RLPItem(UInt64(0)) == .bytes([]))
        #expect(RLPItem(UInt64(0x7f)).encoded == [0x7f])
        #expect(RLPItem(UInt64(0x80)).encoded == [0x81, 0x80])
        #expect(try RLPItem.bytes([0x04, 0x00]).uint64Value() == 1024)
        #expect(try RLPItem(UInt256.max).uint256Value() == UInt256.max)
        #expect(throws: RLPError.integerHasLeadingZero) { try RLPItem.bytes([0x00, 0x01]).uint64Value() }
        #expect(throws: RLPError.integerHasLeadingZero) { try RLPItem.bytes([0x00]).uint64Value() }
        #expect(throws: RLPError.integerTooLarge(bytes: 9, limit: 8)) {
            try RLPItem.bytes([UInt8](repeating: 1, count: 9)).uint64Value()
        }
        #expect(throws: RLPError.expectedBytes) { try RLPItem.list([]).uint256Value() }
    }
}

@Suite("UInt256 decimal")
struct UInt256DecimalTests {
    @Test("decimal parsing and printing round-trip at the edges and on random values")
    func decimalRoundTrip() throws {
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        #expect(try UInt256(decimal: max) == .max)
        #expect(UInt256.max.decimalDescription == max)
        #expect(try UInt256(decimal: "0") == .zero)
        #expect(UInt256.zero.decimalDescription == "0")
        #expect(try UInt256(decimal: "18446744073709551616") == UInt256(hex: "10000000000000000"))
        #expect(throws: UInt256Error.tooLarge) {
            try UInt256(decimal: "115792089237316195423570985008687907853269984665640564039457584007913129639936")
        }
        for bad in ["", "-1", "1.5", "0x10", " 1", String(repeating: "9", count: 79)] {
            #expect(throws: UInt256Error.self) { try UInt256(decimal: bad) }
        }
        var random = SeededRandom(seed: 5)
        for _ in 0..<200 {
            let value = try UInt256(bigEndian: random.bytes(Int(random.next() % 33)))
            #expect(try UInt256(decimal: value.decimalDescription) == value)
            let small = random.next()
            #expect(UInt256(small).decimalDescription == String(small))
        }
    }
}
