import ArgumentParser
import Foundation
import Primitives

/// Where a command's input bytes come from: a hex argument, `--text`, or `--file`.
struct InputOptions: ParsableArguments {
    @Argument(help: "Input as hex (an optional 0x prefix is allowed).")
    var hex: String?

    @Option(name: .long, help: "Input as UTF-8 text instead of hex.")
    var text: String?

    @Option(name: .long, help: "Read the input bytes from a file ('-' for standard input).")
    var file: String?

    /// The input bytes.
    func bytes() throws -> [UInt8] {
        switch (hex, text, file) {
        case (let hex?, nil, nil): return try Hex.decode(hex)
        case (nil, let text?, nil): return Array(text.utf8)
        case (nil, nil, let path?): return try readInput(path)
        case (nil, nil, nil): throw CommandFailure("give the input as hex, --text or --file")
        default: throw CommandFailure("give only one of: hex input, --text, --file")
        }
    }
}

/// The bytes of `path`, or of standard input for `-`.
func readInput(_ path: String) throws -> [UInt8] {
    if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
    guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read \(path)") }
    return Array(data)
}

/// Parses hex from a named option, naming the option in the error.
func hexArgument(_ value: String, name: String, count: Int? = nil) throws -> [UInt8] {
    do {
        return try count.map { try Hex.decode(value, count: $0) } ?? Hex.decode(value)
    } catch {
        throw CommandFailure("--\(name): \(error)")
    }
}
