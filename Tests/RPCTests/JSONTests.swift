import Primitives
import RPC
import Testing

@Suite("JSON values")
struct JSONTests {
    private func roundTrip(_ text: String) throws -> String {
        String(decoding: JSONWriter.encode(try JSONValue(parsing: text)), as: UTF8.self)
    }

    @Test("64-bit integers survive a round trip exactly, never through Double")
    func exactIntegers() throws {
        #expect(try JSONValue(parsing: "18446744073709551615") == .unsignedInteger(.max))
        #expect(try JSONValue(parsing: "9223372036854775807") == .integer(.max))
        #expect(try JSONValue(parsing: "-9223372036854775808") == .integer(.min))
        // 2^53 + 1 is the first integer a Double cannot hold.
        #expect(try roundTrip("[9007199254740993,18446744073709551615]") == "[9007199254740993,18446744073709551615]")
        #expect(try UInt64(json: JSONValue(parsing: "18446744073709551615")) == .max)
        #expect(JSONValue(UInt64(5)) == .integer(5))
        #expect(JSONValue.integer(7) == .unsignedInteger(7))
    }

    @Test("integers beyond 64 bits are refused, not rounded")
    func integerOutOfRange() {
        #expect(throws: JSONParseError(.integerOutOfRange, at: 0)) { try JSONValue(parsing: "18446744073709551616") }
        #expect(throws: JSONParseError(.integerOutOfRange, at: 1)) { try JSONValue(parsing: "[-9223372036854775809]") }
    }

    @Test("doubles keep their value; non-finite ones are written as null")
    func doubles() throws {
        #expect(try JSONValue(parsing: "0.1") == .double(0.1))
        #expect(try JSONValue(parsing: "-2.5e-3") == .double(-0.0025))
        #expect(try JSONValue(parsing: "1E2") == .double(100))
        #expect(JSONValue.double(.infinity).description == "null")
        #expect(throws: JSONParseError(.numberOutOfRange, at: 0)) { try JSONValue(parsing: "1e400") }
    }

    @Test("objects keep insertion order and refuse duplicate keys")
    func objects() throws {
        #expect(try roundTrip(#"{"z":1,"a":2,"m":[true,false,null]}"#) == #"{"z":1,"a":2,"m":[true,false,null]}"#)
        var object: JSONObject = ["b": 1, "a": 2]
        object["b"] = 3
        object["c"] = 4
        #expect(object.keys == ["b", "a", "c"])
        object["a"] = nil
        #expect(JSONValue.object(object).description == #"{"b":3,"c":4}"#)
        #expect(throws: JSONParseError(.duplicateKey("a"), at: 8)) { try JSONValue(parsing: #"{"a":1, "a":2}"#) }
    }

    @Test("strings: escapes, surrogate pairs and raw UTF-8 in, minimal escapes out")
    func strings() throws {
        let parsed = try JSONValue(parsing: #""a\"b\\c\/d\n\t\u00e9\ud83d\ude00€""#)
        #expect(parsed == .string("a\"b\\c/d\n\té😀€"))
        #expect(JSONValue.string("q\"\\\n\u{1}é").description == #""q\"\\\n\u0001é""#)
        #expect(throws: JSONParseError(.unpairedSurrogate, at: 1)) { try JSONValue(parsing: #""\ud83d""#) }
        #expect(throws: JSONParseError(.unpairedSurrogate, at: 1)) { try JSONValue(parsing: #""\ude00x""#) }
        #expect(throws: JSONParseError(.invalidEscape, at: 1)) { try JSONValue(parsing: #""\x41""#) }
        #expect(throws: JSONParseError(.controlCharacter, at: 2)) { try JSONValue(parsing: "\"a\nb\"") }
        #expect(throws: JSONParseError(.invalidUTF8, at: 1)) { try JSONValue(parsing: [0x22, 0xc0, 0xaf, 0x22]) }
        #expect(throws: JSONParseError(.invalidUTF8, at: 1)) { try JSONValue(parsing: [0x22, 0xed, 0xa0, 0x80, 0x22]) }
    }

    @Test(
        "non-JSON is refused",
        arguments: [
            "", " ", "{", "[1,]", "[1 2]", "{\"a\":1,}", "{'a':1}", "01", "-", "1.", ".5", "+1", "1e", "NaN",
            "Infinity", "tru", "nul", "[1]x", "// c\n1", "{\"a\" 1}", "{1:2}", "\"abc",
        ])
    func refusesInvalid(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test("nesting and size limits are enforced")
    func limits() throws {
        let limits = JSONLimits(maxBytes: 100, maxDepth: 3)
        #expect(try JSONValue(parsing: "[[[1]]]", limits: limits) == [[[1]]])
        #expect(throws: JSONParseError(.tooDeep(limit: 3), at: 3)) {
            try JSONValue(parsing: "[[[[1]]]]", limits: limits)
        }
        #expect(throws: JSONParseError(.tooDeep(limit: 3), at: 11)) {
            try JSONValue(parsing: #"{"a":[{"b":{}}]}"#, limits: limits)
        }
        let big = "[" + String(repeating: "1,", count: 60) + "1]"
        #expect(throws: JSONParseError(.tooLarge(limit: 100, actual: 123), at: 0)) {
            try JSONValue(parsing: big, limits: limits)
        }
        // A hostile depth far past the default limit fails cleanly instead of overflowing the stack.
        let hostile = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError(.tooDeep(limit: 64), at: 64)) {
            try JSONValue(parsing: hostile, limits: JSONLimits(maxBytes: 1 << 20))
        }
    }

    @Test("typed readers say what they expected and what they got")
    func typedReaders() throws {
        #expect(try UInt64(json: "12345678901234567890") == 12_345_678_901_234_567_890)
        #expect(try Int64(json: .double(42)) == 42)
        #expect(throws: JSONTypeMismatch.self) { try UInt64(json: .integer(-1)) }
        #expect(throws: JSONTypeMismatch.self) { try UInt64(json: .double(1.5)) }
        #expect(throws: JSONTypeMismatch.self) { try UInt64(json: "12a") }
        #expect(throws: JSONTypeMismatch.self) { try UInt32(json: .integer(1 << 40)) }
        let hash = Hash.zero
        #expect(try Hash(json: hash.json) == hash)
        #expect(try Hash(json: .string("0x" + hash.hex)) == hash)
        #expect(try HexBytes(json: "0xdeadBEEF").bytes == [0xde, 0xad, 0xbe, 0xef])
        #expect(try [UInt64](json: [1, 2, "3"]) == [1, 2, 3])
        do throws(JSONTypeMismatch) {
            _ = try Hash(json: "abc")
            Issue.record("a 3-digit hash was accepted")
        } catch {
            #expect(
                error.description == "expected a 32-byte hash in hex, got a string: hex has an odd number of digits (3)"
            )
        }
        do throws(JSONTypeMismatch) {
            _ = try [UInt64](json: [1, true])
            Issue.record("a boolean element was accepted")
        } catch {
            #expect(error.description.contains("element 1: expected an unsigned 64-bit integer, got a boolean"))
        }
    }
}
