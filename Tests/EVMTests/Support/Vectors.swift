import Foundation

/// Finds the EVM vectors in `Tests/Vectors/evm` and lists every JSON file there, so a vector file
/// added later runs with no code change.
enum Vectors {
    /// `Tests/Vectors`, found from this source file's location (tests run from a source checkout).
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // EVMTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Vectors")

    /// Every `.json` file directly inside `Tests/Vectors/<folder>`, sorted by name.
    static func jsonFiles(in folder: String) throws -> [URL] {
        let directory = root.appendingPathComponent(folder)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return names.filter { $0.hasSuffix(".json") }.sorted().map { directory.appendingPathComponent($0) }
    }

    /// Decodes a JSON file into `T`.
    static func decode<T: Decodable>(_ type: T.Type, from file: URL) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: file))
    }
}
