import ChainConfiguration
import Primitives
import Testing

/// The value under a dotted path of tables (`"a.b.c"`), or nil.
func lookup(_ table: TOMLTable, _ path: String) -> TOMLValue? {
    var current = table
    let parts = path.split(separator: ".").map(String.init)
    for (index, part) in parts.enumerated() {
        guard let item = current[part] else { return nil }
        if index == parts.count - 1 { return item.value }
        guard case .table(let next) = item.value else { return nil }
        current = next
    }
    return nil
}

func integer(_ value: UInt64) -> TOMLValue { .integer(TOMLInteger(value)) }

@Suite("TOML")
struct TOMLTests {
    @Test("keys, tables, strings, numbers, booleans, arrays and inline tables parse to exact values")
    func parsesTheSubset() throws {
        let text = """
            # a comment
            title = "Aether" # trailing comment
            "quoted key" = 'literal \\n stays'
            site."google.com" = true
            physical.color = "orange"
            physical.shape = "round"
            escapes = "tab\\tquote\\" backslash\\\\ e\\u00e9 g\\U0001F600"

            [numbers]
            plain = 2_000_000
            negative = -17
            positive = +42
            zero = 0
            hex = 0xdead_BEEF
            octal = 0o755
            binary = 0b1101
            float = 0.8
            small = 0.00001
            exponent = 1e-5
            big = 6.02E+23
            max = 18_446_744_073_709_551_615
            min = -9_223_372_036_854_775_808

            [arrays]
            mixed = [ 1, "two", 3.0, [4, 5], { six = 6 }, ]
            spread = [
              1, # one
              2,
            ]
            empty = []

            [inline]
            point = { x = 1, y.z = 2, name = "p" }
            nothing = {}

            [a.b.c]
            deep = true
            [a]
            shallow = true

            [[validators]]
            name = "v0"
            [validators.extra]
            note = "belongs to v0"
            [[validators]]
            name = "v1"
            """
        let table = try TOML.parse(text)
        #expect(lookup(table, "title") == .string("Aether"))
        #expect(lookup(table, "quoted key") == .string("literal \\n stays"))
        #expect(lookup(table, "site.google.com") == nil)  // the quoted part is one key
        guard case .table(let site)? = table["site"]?.value else {
            Issue.record("site is not a table")
            return
        }
        #expect(site["google.com"]?.value == .boolean(true))
        #expect(lookup(table, "physical.shape") == .string("round"))
        #expect(lookup(table, "escapes") == .string("tab\tquote\" backslash\\ e\u{e9} g\u{1F600}"))

        #expect(lookup(table, "numbers.plain") == integer(2_000_000))
        #expect(
            lookup(table, "numbers.negative") == .integer(try #require(TOMLInteger(isNegative: true, magnitude: 17))))
        #expect(lookup(table, "numbers.positive") == integer(42))
        #expect(lookup(table, "numbers.zero") == integer(0))
        #expect(lookup(table, "numbers.hex") == integer(0xDEAD_BEEF))
        #expect(lookup(table, "numbers.octal") == integer(0o755))
        #expect(lookup(table, "numbers.binary") == integer(0b1101))
        #expect(lookup(table, "numbers.float") == .decimal(TOMLDecimal(isNegative: false, digits: [8], exponent: -1)))
        #expect(lookup(table, "numbers.small") == .decimal(TOMLDecimal(isNegative: false, digits: [1], exponent: -5)))
        // 1e-5 and 0.00001 are the same number, exactly.
        #expect(lookup(table, "numbers.exponent") == lookup(table, "numbers.small"))
        #expect(
            lookup(table, "numbers.big") == .decimal(TOMLDecimal(isNegative: false, digits: [6, 0, 2], exponent: 21)))
        #expect(lookup(table, "numbers.max") == integer(UInt64.max))
        #expect(
            lookup(table, "numbers.min")
                == .integer(try #require(TOMLInteger(isNegative: true, magnitude: UInt64(Int64.max) + 1))))

        guard case .array(let mixed)? = lookup(table, "arrays.mixed") else {
            Issue.record("arrays.mixed is not an array")
            return
        }
        #expect(mixed.count == 5)
        #expect(mixed[0].value == integer(1))
        #expect(mixed[1].value == .string("two"))
        #expect(mixed[2].value == .decimal(TOMLDecimal(isNegative: false, digits: [3], exponent: 0)))
        #expect(
            mixed[3].value
                == .array([
                    TOMLItem(integer(4), at: mixed[3].value.firstPosition(0)),
                    TOMLItem(integer(5), at: mixed[3].value.firstPosition(1)),
                ]))
        guard case .table(let six) = mixed[4].value else {
            Issue.record("the fifth element is not a table")
            return
        }
        #expect(six["six"]?.value == integer(6))
        guard case .array(let spread)? = lookup(table, "arrays.spread") else {
            Issue.record("arrays.spread is not an array")
            return
        }
        #expect(spread.map(\.value) == [integer(1), integer(2)])
        #expect(spread[1].position == TOMLPosition(line: 28, column: 3))
        #expect(lookup(table, "arrays.empty") == .array([]))

        #expect(lookup(table, "inline.point.x") == integer(1))
        #expect(lookup(table, "inline.point.y.z") == integer(2))
        #expect(lookup(table, "inline.nothing") == .table(TOMLTable()))
        #expect(lookup(table, "a.b.c.deep") == .boolean(true))
        #expect(lookup(table, "a.shallow") == .boolean(true))

        guard case .array(let validators)? = table["validators"]?.value, validators.count == 2,
            case .table(let first) = validators[0].value, case .table(let second) = validators[1].value
        else {
            Issue.record("validators is not an array of two tables")
            return
        }
        #expect(first["name"]?.value == .string("v0"))
        #expect(lookup(first, "extra.note") == .string("belongs to v0"))
        #expect(second["name"]?.value == .string("v1"))
        #expect(validators[1].position == TOMLPosition(line: 45, column: 1))
        #expect(
            table.keys == [
                "title", "quoted key", "site", "physical", "escapes", "numbers", "arrays", "inline", "a",
                "validators",
            ])
    }

    @Test("CRLF line ends and a document without a final newline parse")
    func lineEnds() throws {
        let table = try TOML.parse("a = 1\r\nb = 2")
        #expect(table["a"]?.value == integer(1))
        #expect(table["b"]?.value == integer(2))
        #expect(table["b"]?.position == TOMLPosition(line: 2, column: 5))
    }

    /// Documents that must be refused, with the line, column and a fragment of the message.
    static let invalidDocuments: [(String, Int, Int, String)] = [
        ("a = 1\na = 2", 2, 1, "the key 'a' is defined twice (first at line 1)"),
        ("[t]\nx = 1\n[t]", 3, 1, "table [t] is defined twice (first at line 1)"),
        ("[t.u]\n[t]\n[t.u]", 3, 1, "table [t.u] is defined twice"),
        ("s = \"bad \\q escape\"", 1, 10, "invalid escape '\\q'"),
        ("s = \"\\u12\"", 1, 10, "\\u needs 4 hex digits"),
        ("s = \"\\uD800\"", 1, 6, "is not a Unicode scalar value"),
        ("a = 1 b = 2", 1, 7, "expected the end of the line or a comment after the value, found 'b'"),
        ("a = \"x\" garbage", 1, 9, "found 'g'"),
        ("[t] junk", 1, 5, "after the table header [t]"),
        ("a = ", 1, 5, "expected a value, found the end of the document"),
        ("a 1", 1, 3, "expected '=' after the key 'a', found '1'"),
        ("= 1", 1, 1, "expected a key"),
        ("s = \"open", 1, 10, "the string is not closed"),
        ("s = 'open\nt = 1", 1, 10, "the literal string is not closed before the end of the line"),
        ("n = 007", 1, 5, "integers may not have leading zeros"),
        ("n = 1__000", 1, 5, "'_' must stand between two digits"),
        ("n = _1", 1, 5, "expected a value (a string, number, boolean, array or inline table), found '_'"),
        ("n = 1_", 1, 5, "'_' must stand between two digits"),
        ("n = 18_446_744_073_709_551_616", 1, 5, "does not fit in 64 bits"),
        ("n = -9_223_372_036_854_775_809", 1, 5, "below the smallest 64-bit integer"),
        ("n = 0xG1", 1, 5, "unexpected 'G'"),
        ("f = .5", 1, 5, "found '.'"),
        ("f = 5.", 1, 5, "digits expected"),
        ("f = 1e", 1, 5, "digits expected"),
        ("f = 1.2.3", 1, 5, "unexpected '.'"),
        ("f = inf", 1, 5, "inf and nan are not supported"),
        ("f = -nan", 1, 5, "inf and nan are not supported"),
        ("d = 1979-05-27", 1, 5, "dates and times are not supported"),
        ("t = 07:32:00", 1, 5, "dates and times are not supported"),
        ("s = \"\"\"\nmulti\n\"\"\"", 1, 5, "multi-line strings"),
        ("b = True", 1, 5, "expected a value"),
        ("b = truth", 1, 5, "'truth' is not one"),
        ("a = [1 2]", 1, 8, "expected ',' or ']' after an array element, found '2'"),
        ("a = [1,", 1, 8, "expected a value, found the end of the document"),
        ("t = { a = 1, }", 1, 14, "trailing comma"),
        ("t = { a = 1\n}", 1, 12, "it must fit on one line"),
        ("t = { a = 1, a = 2 }", 1, 14, "the key 'a' is defined twice"),
        ("t = { a = 1 }\n[t]", 2, 1, "table [t] is defined twice"),
        ("t = { a = 1 }\nt.b = 2", 2, 1, "cannot add to the table 't'"),
        ("[a]\nb.c = 1\n[a.b]", 3, 1, "table [a.b] is defined twice"),
        ("[a.b]\nx = 1\n[a]\nb.y = 2", 4, 1, "the dotted key cannot add to the table 'b'"),
        ("a = 1\na.b = 2", 2, 1, "'a' is already an integer"),
        ("[a]\n[[a]]", 2, 1, "'a' is already a table"),
        ("a = [1]\n[[a]]", 2, 1, "a static array cannot be extended"),
        ("[[a]]\n[a]", 2, 1, "[a] is an array of tables"),
        ("a = 1\r", 1, 6, "a carriage return must be followed by a line feed"),
        ("a = \"tab\u{0001}\"", 1, 9, "may not contain the control character"),
        ("# comment \u{0007}\n", 1, 11, "a comment may not contain the control character"),
        ("[a.]", 1, 4, "expected a key"),
        ("[a", 1, 3, "expected ']' to close the table header"),
        ("[[a]", 1, 5, "expected ']]'"),
        ("k = \"\"\"x\"\"\"", 1, 5, "multi-line strings"),
    ]

    @Test("invalid documents are refused with the line, the column and what was expected")
    func refusesInvalidDocuments() {
        for (text, line, column, fragment) in Self.invalidDocuments {
            do {
                let table = try TOML.parse(text)
                Issue.record("accepted \(text.debugDescription): \(table)")
            } catch {
                #expect(error.line == line && error.column == column, "\(text.debugDescription): \(error)")
                #expect(error.message.contains(fragment), "\(text.debugDescription): \(error)")
            }
        }
    }

    @Test("invalid UTF-8 and excessive nesting are errors, not traps")
    func limits() {
        #expect(throws: TOMLError.self) { try TOML.parse(bytes: Array("a = \"".utf8) + [0xC3, 0x28, 0x22]) }
        #expect(throws: TOMLError.self) { try TOML.parse(bytes: [0x61, 0x20, 0x3D, 0x20, 0xFF]) }
        do {
            _ = try TOML.parse("a = " + String(repeating: "[", count: 10_000))
            Issue.record("deep nesting was accepted")
        } catch {
            #expect(error.message.contains("nest deeper than \(TOML.maximumDepth) levels"))
        }
        do {
            _ = try TOML.parse(Array(repeating: "k", count: 100).joined(separator: ".") + " = 1")
            Issue.record("a 100-part dotted key was accepted")
        } catch {
            #expect(error.message.contains("at most \(TOML.maximumDepth) parts"))
        }
        // Columns count characters, not bytes.
        do {
            _ = try TOML.parse("\"é\" = \"x\" y")
            Issue.record("trailing garbage was accepted")
        } catch {
            #expect(error.column == 11)
        }
    }

    @Test("seeded random mutations of a document never trap: each gives a table or an error")
    func randomMutationsNeverTrap() {
        let seed: UInt64 = 0x70_4D4C
        var random = SeededRandom(seed: seed)
        let base = Array(GenesisTests.referenceText.utf8)
        let alphabet =
            Array("[]{}=\"'\\.,#_-+0123456789abcdefxobeE \t\n\r".utf8) + [0x00, 0x7F, 0xC3, 0xA9, 0xFF, 0xF0]
        var accepted = 0
        for iteration in 0..<4_000 {
            var bytes = base
            for _ in 0...(random.next() % 6) {
                let position = bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count))
                let byte = alphabet[Int(random.next() % UInt64(alphabet.count))]
                switch random.next() % 4 {
                case 0: bytes.insert(byte, at: position)
                case 1: if !bytes.isEmpty { bytes.remove(at: position) }
                case 2: if !bytes.isEmpty { bytes[position] = byte }
                default:
                    // Duplicate a slice: repeated keys and tables.
                    let end = min(bytes.count, position + Int(random.next() % 40))
                    bytes.insert(contentsOf: bytes[position..<end], at: position)
                }
            }
            do {
                _ = try TOML.parse(bytes: bytes)
                accepted += 1
            } catch {
                guard error.line >= 1, error.column >= 1, !error.message.isEmpty else {
                    Issue.record("seed \(seed), iteration \(iteration): an error without a position: \(error)")
                    return
                }
            }
            _ = try? Genesis.load(bytes: bytes)
        }
        // Some mutations (inside comments or values) keep the document valid.
        #expect(accepted > 0, "seed \(seed)")
    }
}

extension TOMLValue {
    /// The position of element `index` of an array value (for building expected arrays).
    fileprivate func firstPosition(_ index: Int) -> TOMLPosition {
        guard case .array(let items) = self, index < items.count else { return TOMLPosition(line: 0, column: 0) }
        return items[index].position
    }
}
