import ArgumentParser
import Foundation

/// Options every command that prints results shares.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false
}

/// A result a command prints: text lines for people, a JSON object for programs.
struct Report {
    /// Ordered key-value pairs; values are strings, numbers, booleans, arrays or nested reports.
    var fields: [(String, Any)] = []

    mutating func add(_ key: String, _ value: Any) { fields.append((key, value)) }

    /// Prints as `key: value` lines, or as JSON with keys in insertion order.
    func print(json: Bool) {
        if json {
            Swift.print(Report.jsonText(self))
        } else {
            for (key, value) in fields { Swift.print("\(key): \(Report.plainText(value))") }
        }
    }

    static func jsonText(_ value: Any) -> String {
        switch value {
        case let report as Report:
            let members = report.fields.map { "\(jsonString($0.0)): \(jsonText($0.1))" }
            return "{" + members.joined(separator: ", ") + "}"
        case let array as [Any]:
            return "[" + array.map(jsonText).joined(separator: ", ") + "]"
        case let string as String: return jsonString(string)
        case let bool as Bool: return bool ? "true" : "false"
        case let double as Double: return double.isFinite ? String(double) : "null"
        case let int as Int: return String(int)
        case let int as UInt64: return String(int)
        case let int as Int64: return String(int)
        case Optional<Any>.none: return "null"
        default: return jsonString("\(value)")
        }
    }

    static func plainText(_ value: Any) -> String {
        switch value {
        case let report as Report:
            return "{" + report.fields.map { "\($0.0)=\(plainText($0.1))" }.joined(separator: ", ") + "}"
        case let array as [Any]: return array.map(plainText).joined(separator: ", ")
        default: return "\(value)"
        }
    }

    static func jsonString(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let control where control.value < 0x20: out += String(format: "\\u%04x", control.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A failure a command reports: the message goes to stderr (or as `{"error": …}` with `--json`)
/// and the process exits with status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Runs `body`, turning any error into a clear message and exit status 1.
func reportingErrors(json: Bool, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch {
        throw report(error, json: json)
    }
}

/// `reportingErrors(json:_:)` for async commands.
func reportingErrors(json: Bool, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch {
        throw report(error, json: json)
    }
}

/// Prints `error` for people (stderr) or programs (`{"error": …}`); returns the exit to throw.
private func report(_ error: any Error, json: Bool) -> ExitCode {
    if let exit = error as? ExitCode { return exit }
    if json {
        var report = Report()
        report.add("error", "\(error)")
        report.print(json: true)
    } else {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    }
    return ExitCode.failure
}
