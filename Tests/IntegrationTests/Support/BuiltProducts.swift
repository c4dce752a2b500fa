import Foundation

/// Executables SwiftPM builds next to the test binary (the integration test target depends on them).
enum BuiltProducts {
    /// The build products directory: where the running test binary lives.
    static func directory() throws -> URL {
        #if os(Linux)
            let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            return URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        #else
            return Bundle.main.bundleURL.deletingLastPathComponent()
        #endif
    }

    /// The executable `name`, or `environmentOverride`'s value when that variable is set.
    static func executable(_ name: String, environmentOverride: String? = nil) throws -> URL {
        if let variable = environmentOverride, let path = ProcessInfo.processInfo.environment[variable] {
            return URL(fileURLWithPath: path)
        }
        let url = try directory().appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw MissingProduct(name: name, directory: url.deletingLastPathComponent().path)
        }
        return url
    }

    struct MissingProduct: Error, CustomStringConvertible {
        let name: String
        let directory: String
        var description: String { "\(name) is not built in \(directory): run `swift build --build-tests` first" }
    }
}

/// What a finished process left behind.
struct ProcessResult: Sendable {
    let status: Int32
    let standardOutput: String
    let standardError: String

    /// Standard output parsed as one JSON object.
    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(standardOutput.utf8)) as? [String: Any] else {
            throw JSONShapeError(text: standardOutput)
        }
        return object
    }

    struct JSONShapeError: Error, CustomStringConvertible {
        let text: String
        var description: String { "output is not a JSON object: \(text)" }
    }
}

/// Runs `executable` with `arguments` to completion, feeding `input` to its standard input.
func runProcess(
    _ executable: URL,
    _ arguments: [String],
    environment: [String: String] = [:],
    input: String? = nil
) throws -> ProcessResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment
    merged.removeValue(forKey: "AETHER_PASSWORD")
    for (key, value) in environment { merged[key] = value }
    process.environment = merged
    let output = Pipe()
    let error = Pipe()
    let stdin = Pipe()
    process.standardOutput = output
    process.standardError = error
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    // Read both pipes before waiting so a chatty child cannot block on a full pipe.
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus,
        standardOutput: String(decoding: outputData, as: UTF8.self),
        standardError: String(decoding: errorData, as: UTF8.self))
}

/// Runs `arguments` like `runProcess`, on a thread outside Swift's cooperative pool: an async test
/// that waits on a process this way leaves the pool's two threads to the rest of the suite (and to
/// the in-process nodes some suites run).
func runProcessOffPool(_ executable: URL, _ arguments: [String]) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try runProcess(executable, arguments) })
        }
    }
}
