import Foundation

/// Finds published test vectors in `Tests/Vectors/` (copied from their sources with READMEs and
/// licenses) and lists every file of a kind, so a vector file added later runs with no code change.
enum Vectors {
    /// `Tests/Vectors`, found from this source file's location (tests run from a source checkout).
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // PrimitivesTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Vectors")

    /// Every `.json` file directly inside `Tests/Vectors/<folder>`, sorted by name.
    static func jsonFiles(in folder: String) throws -> [URL] {
        let directory = root.appendingPathComponent(folder)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return names.filter { $0.hasSuffix(".json") }.sorted().map { directory.appendingPathComponent($0) }
    }

    /// The parsed JSON object in `file`.
    static func object(_ file: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: file)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw VectorFileError(file: file, reason: "top level is not a JSON object")
        }
        return object
    }

    /// Decodes a JSON file into `T`.
    static func decode<T: Decodable>(_ type: T.Type, from file: URL) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: file))
    }
}

/// A vector file that cannot be read as its kind expects.
struct VectorFileError: Error, CustomStringConvertible {
    let file: URL
    let reason: String
    var description: String { "\(file.lastPathComponent): \(reason)" }
}
