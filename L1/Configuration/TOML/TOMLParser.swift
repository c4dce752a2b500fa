/// A strict parser for the TOML subset Aether's configuration files use.
///
/// Supported (TOML 1.0 rules): comments; bare, basic-quoted and literal-quoted keys; dotted keys;
/// `[table]` and `[[array of tables]]` headers; basic strings with escapes and literal strings;
/// integers (decimal with sign and `_` separators, `0x`/`0o`/`0b`); floats, kept as exact
/// decimals; booleans; arrays (over several lines, with comments and a trailing comma); inline
/// tables. Not supported, and refused with a clear error: multi-line strings, dates and times,
/// `inf` and `nan`.
///
/// Strict: a key defined twice, a table defined twice, a dotted key reaching into a table defined
/// elsewhere, an invalid escape or anything after a value but a comment is an error naming the
/// line and column. The parser never traps: every input gives a document or a `TOMLError`
/// (tested with seeded random mutations); nesting is limited to `maximumDepth` levels and input
/// to `maximumBytes`.
public enum TOML {
    /// The largest document accepted, in bytes.
    public static let maximumBytes = 4 << 20
    /// The deepest nesting of arrays and inline tables accepted.
    public static let maximumDepth = 32

    /// Parses a document.
    /// - Returns: the root table.
    /// - Throws: `TOMLError` with the line, column and what was expected.
    public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        try parse(bytes: Array(text.utf8))
    }

    /// Parses a document from UTF-8 bytes (invalid UTF-8 is an error, not repaired).
    public static func parse(bytes: [UInt8]) throws(TOMLError) -> TOMLTable {
        guard bytes.count <= maximumBytes else {
            throw TOMLError(
                "the document is \(bytes.count) bytes; at most \(maximumBytes) are accepted",
                at: TOMLPosition(line: 1, column: 1))
        }
        var parser = Parser(bytes)
        try parser.validateUTF8()
        try parser.parseDocument()
        return parser.root.snapshot()
    }
}

// MARK: - The tree being built

/// A table under construction; a class so headers and dotted keys can reach into it by path.
private final class TableNode {
    enum Origin {
        /// Created as an intermediate of a `[a.b.c]` header; may still be defined by its own header.
        case implicit
        /// Defined by a `[header]` (or the root).
        case header
        /// Created by a dotted key; only more dotted keys of the same table may extend it.
        case dotted
        /// An inline table: complete when it closes.
        case inline
    }

    enum Entry {
        case value(TOMLItem)
        case table(TableNode)
        /// An array built by `[[header]]`s.
        case tableArray([TableNode], position: TOMLPosition)
    }

    var origin: Origin
    let position: TOMLPosition
    var keys: [String] = []
    var entries: [String: Entry] = [:]

    init(origin: Origin, position: TOMLPosition) {
        self.origin = origin
        self.position = position
    }

    func set(_ key: String, _ entry: Entry) {
        if entries.updateValue(entry, forKey: key) == nil { keys.append(key) }
    }

    func snapshot() -> TOMLTable {
        var table = TOMLTable()
        for key in keys {
            guard let entry = entries[key] else { continue }
            switch entry {
            case .value(let item): table.set(key, item)
            case .table(let node): table.set(key, TOMLItem(.table(node.snapshot()), at: node.position))
            case .tableArray(let nodes, let position):
                let items = nodes.map { TOMLItem(.table($0.snapshot()), at: $0.position) }
                table.set(key, TOMLItem(.array(items), at: position))
            }
        }
        return table
    }
}

/// A key part with where it was written.
private struct KeyPart {
    let name: String
    let position: TOMLPosition
}

// MARK: - Parser

private struct Parser {
    let bytes: [UInt8]
    var index = 0
    var line = 1
    var lineStart = 0
    let root = TableNode(origin: .header, position: TOMLPosition(line: 1, column: 1))
    var current: TableNode
    var depth = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.current = root
    }

    // MARK: Positions and errors

    var position: TOMLPosition { position(of: index) }

    /// The position of byte offset `offset` on the current line.
    func position(of offset: Int) -> TOMLPosition {
        var column = 1
        var cursor = lineStart
        while cursor < offset, cursor < bytes.count {
            if bytes[cursor] & 0xC0 != 0x80 { column += 1 }
            cursor += 1
        }
        // `column` counted the scalar starts before `offset`; the first one is column 1.
        return TOMLPosition(line: line, column: max(1, column))
    }

    func error(_ message: String) -> TOMLError { TOMLError(message, at: position) }

    func error(_ message: String, at offset: Int) -> TOMLError { TOMLError(message, at: position(of: offset)) }

    /// What is at the cursor, for "found …" in messages.
    var found: String {
        guard index < bytes.count else { return "the end of the document" }
        let byte = bytes[index]
        switch byte {
        case 0x0A: return "the end of the line"
        case 0x0D: return "a carriage return"
        case 0x09: return "a tab"
        case 0x20: return "a space"
        case 0x21...0x7E: return "'\(Character(Unicode.Scalar(byte)))'"
        default:
            var end = index + 1
            while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
            let scalar = String(decoding: bytes[index..<end], as: UTF8.self).unicodeScalars.first
            let value = scalar.map { String($0.value, radix: 16, uppercase: true) } ?? "?"
            return "U+" + String(repeating: "0", count: max(0, 4 - value.count)) + value
        }
    }

    var atEnd: Bool { index >= bytes.count }

    func peek(_ offset: Int = 0) -> UInt8? {
        let at = index + offset
        return at < bytes.count ? bytes[at] : nil
    }

    // MARK: UTF-8

    /// Checks the whole input is UTF-8 (Swift's decoding would silently repair it).
    func validateUTF8() throws(TOMLError) {
        var offset = 0
        var lineNumber = 1
        var lineOffset = 0
        while offset < bytes.count {
            let byte = bytes[offset]
            let length: Int
            var minimum: UInt32 = 0
            var scalar: UInt32
            switch byte {
            case 0x00...0x7F: length = 1; scalar = UInt32(byte)
            case 0xC2...0xDF: length = 2; scalar = UInt32(byte & 0x1F); minimum = 0x80
            case 0xE0...0xEF: length = 3; scalar = UInt32(byte & 0x0F); minimum = 0x800
            case 0xF0...0xF4: length = 4; scalar = UInt32(byte & 0x07); minimum = 0x10000
            default: length = 0; scalar = 0
            }
            var valid = length > 0 && offset + length <= bytes.count
            if valid {
                for continuation in bytes[(offset + 1)..<(offset + length)] {
                    guard continuation & 0xC0 == 0x80 else {
                        valid = false
                        break
                    }
                    scalar = scalar << 6 | UInt32(continuation & 0x3F)
                }
            }
            if valid, scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { valid = false }
            guard valid else {
                var column = 1
                for cursor in lineOffset..<offset where bytes[cursor] & 0xC0 != 0x80 { column += 1 }
                throw TOMLError(
                    "the document is not valid UTF-8 (byte 0x\(String(byte, radix: 16)))",
                    at: TOMLPosition(line: lineNumber, column: column))
            }
            if byte == 0x0A {
                lineNumber += 1
                lineOffset = offset + 1
            }
            offset += length
        }
    }

    // MARK: Whitespace, comments, newlines

    mutating func skipSpaces() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 { index += 1 }
    }

    /// Skips a comment if one starts here (the newline stays).
    mutating func skipComment() throws(TOMLError) {
        guard peek() == UInt8(ascii: "#") else { return }
        index += 1
        while let byte = peek(), byte != 0x0A {
            if byte == 0x0D, peek(1) == 0x0A { return }
            if byte < 0x20 && byte != 0x09 || byte == 0x7F {
                throw error("a comment may not contain the control character \(found)")
            }
            index += 1
        }
    }

    /// Consumes a newline (LF or CRLF); returns false when there is none here.
    mutating func consumeNewline() throws(TOMLError) -> Bool {
        if peek() == 0x0A {
            index += 1
        } else if peek() == 0x0D {
            guard peek(1) == 0x0A else { throw error("a carriage return must be followed by a line feed") }
            index += 2
        } else {
            return false
        }
        line += 1
        lineStart = index
        return true
    }

    /// After a key-value pair or header: spaces, an optional comment, then a newline or the end.
    mutating func expectLineEnd(after what: String) throws(TOMLError) {
        skipSpaces()
        try skipComment()
        if atEnd { return }
        guard try consumeNewline() else {
            throw error("expected the end of the line or a comment after \(what), found \(found)")
        }
    }

    /// Skips spaces, comments and newlines (inside arrays).
    mutating func skipBlank() throws(TOMLError) {
        while true {
            skipSpaces()
            try skipComment()
            guard try consumeNewline() else { return }
        }
    }

    // MARK: Document

    mutating func parseDocument() throws(TOMLError) {
        while !atEnd {
            skipSpaces()
            try skipComment()
            if try consumeNewline() { continue }
            if atEnd { break }
            if peek() == UInt8(ascii: "[") {
                try parseHeader()
            } else {
                try parseKeyValue(into: current)
                try expectLineEnd(after: "the value")
            }
        }
    }

    // MARK: Headers

    mutating func parseHeader() throws(TOMLError) {
        let start = index
        let headerPosition = position
        index += 1
        let isArray = peek() == UInt8(ascii: "[")
        if isArray { index += 1 }
        skipSpaces()
        let path = try parseKey()
        skipSpaces()
        guard peek() == UInt8(ascii: "]") else {
            throw error("expected ']' to close the table header, found \(found)")
        }
        index += 1
        if isArray {
            guard peek() == UInt8(ascii: "]") else {
                throw error("expected ']]' to close the array-of-tables header, found \(found)")
            }
            index += 1
        }
        let name = path.map(\.name).joined(separator: ".")
        var table = root
        for part in path.dropLast() {
            table = try descendForHeader(table, part, headerName: name)
        }
        guard let last = path.last else { throw error("a table header needs a name", at: start) }
        if isArray {
            current = try appendTableArray(in: table, last, position: headerPosition, headerName: name)
        } else {
            current = try defineTable(in: table, last, position: headerPosition, headerName: name)
        }
        try expectLineEnd(after: "the table header [\(isArray ? "[" : "")\(name)]\(isArray ? "]" : "")")
    }

    /// The table `part` inside `table` on the way to a header's last key.
    func descendForHeader(_ table: TableNode, _ part: KeyPart, headerName: String) throws(TOMLError) -> TableNode {
        switch table.entries[part.name] {
        case nil:
            let node = TableNode(origin: .implicit, position: part.position)
            table.set(part.name, .table(node))
            return node
        case .table(let node)?:
            guard node.origin != .inline else {
                throw TOMLError(
                    "[\(headerName)] cannot add to '\(part.name)', an inline table (inline tables are complete "
                        + "where they are written, line \(node.position.line))", at: part.position)
            }
            return node
        case .tableArray(let nodes, _)?:
            // A header below an array of tables goes into its last table.
            guard let last = nodes.last else { throw TOMLError("empty array of tables", at: part.position) }
            return last
        case .value(let item)?:
            throw TOMLError(
                "[\(headerName)]: '\(part.name)' is already \(item.value.kindDescription) "
                    + "(line \(item.position.line)), not a table", at: part.position)
        }
    }

    func defineTable(in table: TableNode, _ part: KeyPart, position: TOMLPosition, headerName: String)
        throws(TOMLError) -> TableNode
    {
        switch table.entries[part.name] {
        case nil:
            let node = TableNode(origin: .header, position: position)
            table.set(part.name, .table(node))
            return node
        case .table(let node)?:
            guard node.origin == .implicit else {
                throw TOMLError(
                    "table [\(headerName)] is defined twice (first at line \(node.position.line))", at: position)
            }
            node.origin = .header
            return node
        case .tableArray(_, let first)?:
            throw TOMLError(
                "[\(headerName)] is an array of tables (line \(first.line)); write [[\(headerName)]] to add one",
                at: position)
        case .value(let item)?:
            throw TOMLError(
                "[\(headerName)]: the key is already \(item.value.kindDescription) (line \(item.position.line))",
                at: position)
        }
    }

    func appendTableArray(in table: TableNode, _ part: KeyPart, position: TOMLPosition, headerName: String)
        throws(TOMLError) -> TableNode
    {
        let node = TableNode(origin: .header, position: position)
        switch table.entries[part.name] {
        case nil:
            table.set(part.name, .tableArray([node], position: position))
        case .tableArray(let nodes, let first)?:
            table.set(part.name, .tableArray(nodes + [node], position: first))
        case .table(let existing)?:
            throw TOMLError(
                "[[\(headerName)]]: '\(part.name)' is already a table (line \(existing.position.line)), "
                    + "not an array of tables", at: position)
        case .value(let item)?:
            throw TOMLError(
                "[[\(headerName)]]: '\(part.name)' is already \(item.value.kindDescription) "
                    + "(line \(item.position.line)); a static array cannot be extended by [[…]]", at: position)
        }
        return node
    }

    // MARK: Keys

    /// A key: one or more simple keys joined by dots.
    mutating func parseKey() throws(TOMLError) -> [KeyPart] {
        var parts = [try parseSimpleKey()]
        while true {
            let save = index
            skipSpaces()
            guard peek() == UInt8(ascii: ".") else {
                index = save
                return parts
            }
            index += 1
            skipSpaces()
            guard parts.count < TOML.maximumDepth else {
                throw error("a dotted key may have at most \(TOML.maximumDepth) parts")
            }
            parts.append(try parseSimpleKey())
        }
    }

    mutating func parseSimpleKey() throws(TOMLError) -> KeyPart {
        let start = position
        switch peek() {
        case UInt8(ascii: "\"")?:
            guard !(peek(1) == UInt8(ascii: "\"") && peek(2) == UInt8(ascii: "\"")) else {
                throw error("a key cannot be a multi-line string")
            }
            return KeyPart(name: try parseBasicString(), position: start)
        case UInt8(ascii: "'")?:
            guard !(peek(1) == UInt8(ascii: "'") && peek(2) == UInt8(ascii: "'")) else {
                throw error("a key cannot be a multi-line string")
            }
            return KeyPart(name: try parseLiteralString(), position: start)
        default:
            let begin = index
            while let byte = peek(), Self.isBareKeyByte(byte) { index += 1 }
            guard index > begin else {
                throw error("expected a key (letters, digits, '_', '-', or a quoted string), found \(found)")
            }
            return KeyPart(name: String(decoding: bytes[begin..<index], as: UTF8.self), position: start)
        }
    }

    static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    // MARK: Key-value pairs

    /// `key = value` into `table` (the current table, or an inline table being built).
    mutating func parseKeyValue(into table: TableNode) throws(TOMLError) {
        let path = try parseKey()
        skipSpaces()
        guard peek() == UInt8(ascii: "=") else {
            let name = path.map(\.name).joined(separator: ".")
            throw error("expected '=' after the key '\(name)', found \(found)")
        }
        index += 1
        skipSpaces()
        var target = table
        for part in path.dropLast() {
            target = try descendForDottedKey(target, part)
        }
        guard let last = path.last else { throw error("expected a key") }
        if let existing = target.entries[last.name] {
            let line: Int
            switch existing {
            case .value(let item): line = item.position.line
            case .table(let node): line = node.position.line
            case .tableArray(_, let position): line = position.line
            }
            throw TOMLError("the key '\(last.name)' is defined twice (first at line \(line))", at: last.position)
        }
        let valuePosition = position
        let value = try parseValue()
        switch value {
        case .inlineTable(let node): target.set(last.name, .table(node))
        case .plain(let plain): target.set(last.name, .value(TOMLItem(plain, at: valuePosition)))
        }
    }

    /// The table `part` inside `table` for a dotted key `part.…`: absent (created) or created by
    /// dotted keys of this same table.
    func descendForDottedKey(_ table: TableNode, _ part: KeyPart) throws(TOMLError) -> TableNode {
        switch table.entries[part.name] {
        case nil:
            let node = TableNode(origin: .dotted, position: part.position)
            table.set(part.name, .table(node))
            return node
        case .table(let node)?:
            guard node.origin == .dotted else {
                throw TOMLError(
                    "the dotted key cannot add to the table '\(part.name)' defined at line \(node.position.line)",
                    at: part.position)
            }
            return node
        case .tableArray(_, let position)?:
            throw TOMLError(
                "the dotted key cannot add to the array of tables '\(part.name)' (line \(position.line))",
                at: part.position)
        case .value(let item)?:
            throw TOMLError(
                "'\(part.name)' is already \(item.value.kindDescription) (line \(item.position.line)), not a table",
                at: part.position)
        }
    }

    // MARK: Values

    enum ParsedValue {
        case plain(TOMLValue)
        case inlineTable(TableNode)
    }

    mutating func parseValue() throws(TOMLError) -> ParsedValue {
        guard let byte = peek() else { throw error("expected a value, found the end of the document") }
        switch byte {
        case UInt8(ascii: "\""):
            guard !(peek(1) == UInt8(ascii: "\"") && peek(2) == UInt8(ascii: "\"")) else {
                throw error("multi-line strings (\"\"\") are not supported; write the string on one line")
            }
            return .plain(.string(try parseBasicString()))
        case UInt8(ascii: "'"):
            guard !(peek(1) == UInt8(ascii: "'") && peek(2) == UInt8(ascii: "'")) else {
                throw error("multi-line strings (''') are not supported; write the string on one line")
            }
            return .plain(.string(try parseLiteralString()))
        case UInt8(ascii: "["):
            return .plain(try parseArray())
        case UInt8(ascii: "{"):
            return .inlineTable(try parseInlineTable())
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            return .plain(try parseBoolean())
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "i"),
            UInt8(ascii: "n"):
            return .plain(try parseNumber())
        default:
            throw error("expected a value (a string, number, boolean, array or inline table), found \(found)")
        }
    }

    mutating func enterNesting() throws(TOMLError) {
        depth += 1
        guard depth <= TOML.maximumDepth else {
            throw error("arrays and inline tables nest deeper than \(TOML.maximumDepth) levels")
        }
    }

    mutating func parseBoolean() throws(TOMLError) -> TOMLValue {
        let begin = index
        while let byte = peek(), Self.isBareKeyByte(byte) { index += 1 }
        switch String(decoding: bytes[begin..<index], as: UTF8.self) {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case let word:
            index = begin
            throw error("expected a value; '\(word)' is not one (booleans are true and false, strings are quoted)")
        }
    }

    mutating func parseArray() throws(TOMLError) -> TOMLValue {
        try enterNesting()
        defer { depth -= 1 }
        index += 1  // [
        var items: [TOMLItem] = []
        while true {
            try skipBlank()
            if peek() == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            let itemPosition = position
            switch try parseValue() {
            case .plain(let value): items.append(TOMLItem(value, at: itemPosition))
            case .inlineTable(let node): items.append(TOMLItem(.table(node.snapshot()), at: itemPosition))
            }
            try skipBlank()
            switch peek() {
            case UInt8(ascii: ",")?: index += 1
            case UInt8(ascii: "]")?:
                index += 1
                return .array(items)
            default: throw error("expected ',' or ']' after an array element, found \(found)")
            }
        }
    }

    mutating func parseInlineTable() throws(TOMLError) -> TableNode {
        try enterNesting()
        defer { depth -= 1 }
        let node = TableNode(origin: .inline, position: position)
        index += 1  // {
        skipSpaces()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return node
        }
        while true {
            skipSpaces()
            // Dotted keys inside build sub-tables of the inline table; mark them inline afterwards.
            try parseKeyValue(into: node)
            skipSpaces()
            switch peek() {
            case UInt8(ascii: ",")?:
                index += 1
                skipSpaces()
                if peek() == UInt8(ascii: "}") { throw error("an inline table may not end with a trailing comma") }
            case UInt8(ascii: "}")?:
                index += 1
                Self.freeze(node)
                return node
            default:
                throw error("expected ',' or '}' in the inline table (it must fit on one line), found \(found)")
            }
        }
    }

    /// Marks an inline table and the dotted tables inside it complete.
    static func freeze(_ node: TableNode) {
        node.origin = .inline
        for case .table(let child) in node.entries.values { freeze(child) }
    }

    // MARK: Strings

    mutating func parseBasicString() throws(TOMLError) -> String {
        index += 1  // "
        var out: [UInt8] = []
        while true {
            guard let byte = peek() else { throw error("the string is not closed: expected '\"' before the end") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                let escapeStart = index
                index += 1
                guard let escape = peek() else { throw error("the string is not closed: expected '\"' before the end") }
                index += 1
                switch escape {
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let count = escape == UInt8(ascii: "u") ? 4 : 8
                    var value: UInt32 = 0
                    for _ in 0..<count {
                        guard let digit = peek(), let nibble = Self.hexValue(digit) else {
                            throw error(
                                "\\\(Character(Unicode.Scalar(escape))) needs \(count) hex digits, found \(found)")
                        }
                        value = value << 4 | UInt32(nibble)
                        index += 1
                    }
                    guard let scalar = Unicode.Scalar(value) else {
                        throw error(
                            "\\\(Character(Unicode.Scalar(escape))) escape \(String(value, radix: 16)) is not a "
                                + "Unicode scalar value", at: escapeStart)
                    }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    index = escapeStart + 1
                    throw error(
                        "invalid escape '\\\(found.trimmingQuotes)' in a string (allowed: \\b \\t \\n \\f \\r \\\" "
                            + "\\\\ \\uXXXX \\UXXXXXXXX)", at: escapeStart)
                }
            case 0x0A, 0x0D:
                throw error(
                    "the string is not closed before the end of the line (multi-line strings are not supported)")
            default:
                if byte < 0x20 && byte != 0x09 || byte == 0x7F {
                    throw error("a string may not contain the control character \(found); use an escape")
                }
                out.append(byte)
                index += 1
            }
        }
    }

    mutating func parseLiteralString() throws(TOMLError) -> String {
        index += 1  // '
        let begin = index
        while true {
            guard let byte = peek() else { throw error("the literal string is not closed: expected \"'\"") }
            if byte == UInt8(ascii: "'") {
                let text = String(decoding: bytes[begin..<index], as: UTF8.self)
                index += 1
                return text
            }
            if byte == 0x0A || byte == 0x0D {
                throw error("the literal string is not closed before the end of the line")
            }
            if byte < 0x20 && byte != 0x09 || byte == 0x7F {
                throw error("a literal string may not contain the control character \(found)")
            }
            index += 1
        }
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    // MARK: Numbers

    mutating func parseNumber() throws(TOMLError) -> TOMLValue {
        let begin = index
        while let byte = peek(), Self.isNumberByte(byte) { index += 1 }
        let token = Array(bytes[begin..<index])
        let text = String(decoding: token, as: UTF8.self)
        if peek() == UInt8(ascii: ":") || (token.count >= 5 && token[4] == UInt8(ascii: "-") && token[0] != 0x2D) {
            throw error("dates and times are not supported (write a time as an integer of milliseconds)", at: begin)
        }
        let unsigned =
            token.first == UInt8(ascii: "+") || token.first == UInt8(ascii: "-") ? token.dropFirst() : token[...]
        if unsigned.elementsEqual("inf".utf8) || unsigned.elementsEqual("nan".utf8) {
            throw error("inf and nan are not supported: configuration numbers must be finite", at: begin)
        }
        if token.count >= 2, token[0] == UInt8(ascii: "0"),
            [UInt8(ascii: "x"), UInt8(ascii: "o"), UInt8(ascii: "b")].contains(token[1])
        {
            return .integer(try parsePrefixedInteger(token, text: text, at: begin))
        }
        let isFloat = token.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        if isFloat { return .decimal(try parseDecimal(token, text: text, at: begin)) }
        return .integer(try parseDecimalInteger(token, text: text, at: begin))
    }

    static func isNumberByte(_ byte: UInt8) -> Bool {
        isBareKeyByte(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
    }

    /// Digits with single `_` between digits; returns the digit values.
    func digitRun(_ slice: ArraySlice<UInt8>, radix: UInt8, text: String, at offset: Int) throws(TOMLError)
        -> [UInt8]
    {
        var digits: [UInt8] = []
        var previousUnderscore = true  // a leading underscore is an error
        for byte in slice {
            if byte == UInt8(ascii: "_") {
                guard !previousUnderscore else {
                    throw error("'\(text)': '_' must stand between two digits", at: offset)
                }
                previousUnderscore = true
                continue
            }
            guard let value = Self.hexValue(byte), value < radix else {
                throw error("'\(text)' is not a number: unexpected '\(Character(Unicode.Scalar(byte)))'", at: offset)
            }
            digits.append(value)
            previousUnderscore = false
        }
        guard !digits.isEmpty else { throw error("'\(text)' is not a number: digits expected", at: offset) }
        guard !previousUnderscore else { throw error("'\(text)': '_' must stand between two digits", at: offset) }
        return digits
    }

    func accumulate(_ digits: [UInt8], radix: UInt64, text: String, at offset: Int) throws(TOMLError) -> UInt64 {
        var value: UInt64 = 0
        for digit in digits {
            let (product, overflow1) = value.multipliedReportingOverflow(by: radix)
            let (sum, overflow2) = product.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else {
                throw error("'\(text)' does not fit in 64 bits", at: offset)
            }
            value = sum
        }
        return value
    }

    func parsePrefixedInteger(_ token: [UInt8], text: String, at offset: Int) throws(TOMLError) -> TOMLInteger {
        let radix: UInt8 =
            switch token[1] {
            case UInt8(ascii: "x"): 16
            case UInt8(ascii: "o"): 8
            default: 2
            }
        let digits = try digitRun(token[2...], radix: radix, text: text, at: offset)
        return TOMLInteger(try accumulate(digits, radix: UInt64(radix), text: text, at: offset))
    }

    func parseDecimalInteger(_ token: [UInt8], text: String, at offset: Int) throws(TOMLError) -> TOMLInteger {
        var body = token[...]
        var negative = false
        if let sign = body.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            body = body.dropFirst()
        }
        let digits = try digitRun(body, radix: 10, text: text, at: offset)
        guard digits.count == 1 || digits[0] != 0 else {
            throw error("'\(text)': integers may not have leading zeros", at: offset)
        }
        let magnitude = try accumulate(digits, radix: 10, text: text, at: offset)
        guard let integer = TOMLInteger(isNegative: negative, magnitude: magnitude) else {
            throw error("'\(text)' is below the smallest 64-bit integer", at: offset)
        }
        return integer
    }

    /// The largest exponent magnitude accepted (far beyond anything a configuration needs).
    static let maximumExponent = 400

    func parseDecimal(_ token: [UInt8], text: String, at offset: Int) throws(TOMLError) -> TOMLDecimal {
        var body = token[...]
        var negative = false
        if let sign = body.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            body = body.dropFirst()
        }
        let exponentIndex = body.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let mantissa = body[..<(exponentIndex ?? body.endIndex)]
        let dot = mantissa.firstIndex(of: UInt8(ascii: "."))
        let integerPart = try digitRun(mantissa[..<(dot ?? mantissa.endIndex)], radix: 10, text: text, at: offset)
        guard integerPart.count == 1 || integerPart[0] != 0 else {
            throw error("'\(text)': the integer part may not have leading zeros", at: offset)
        }
        var fraction: [UInt8] = []
        if let dot {
            fraction = try digitRun(mantissa[(dot + 1)...], radix: 10, text: text, at: offset)
        }
        var exponent = 0
        if let exponentIndex {
            var exponentBody = body[(exponentIndex + 1)...]
            var exponentNegative = false
            if let sign = exponentBody.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                exponentNegative = sign == UInt8(ascii: "-")
                exponentBody = exponentBody.dropFirst()
            }
            let digits = try digitRun(exponentBody, radix: 10, text: text, at: offset)
            var magnitude = 0
            for digit in digits {
                magnitude = magnitude * 10 + Int(digit)
                guard magnitude <= Self.maximumExponent else {
                    throw error("'\(text)': the exponent is out of range", at: offset)
                }
            }
            exponent = exponentNegative ? -magnitude : magnitude
        }
        return TOMLDecimal(isNegative: negative, digits: integerPart + fraction, exponent: exponent - fraction.count)
    }
}

extension String {
    /// `'x'` → `x` (for quoting a found character inside another message).
    fileprivate var trimmingQuotes: String {
        guard count >= 3, first == "'", last == "'" else { return self }
        return String(dropFirst().dropLast())
    }
}
