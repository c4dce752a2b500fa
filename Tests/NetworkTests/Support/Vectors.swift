import Foundation
import Primitives

/// Finds published test vectors in `Tests/Vectors/` and lists every file of a kind, so a vector
/// file added later runs with no code change.
enum Vectors {
    /// `Tests/Vectors`, found from this source file's location (tests run from a source checkout).
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // NetworkTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Vectors")

    /// Every `.json` file directly inside `Tests/Vectors/<folder>`, sorted by name.
    static func jsonFiles(in folder: String) throws -> [URL] {
        let directory = root.appendingPathComponent(folder)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return names.filter { $0.hasSuffix(".json") }.sorted().map { directory.appendingPathComponent($0) }
    }
}

/// One Noise vector in the cacophony format (Tests/Vectors/noise/README.md).
struct NoiseVector: Decodable {
    struct Message: Decodable {
        let payload: String
        let ciphertext: String
    }

    let protocolName: String
    let initPrologue: String
    let initStatic: String
    let initEphemeral: String
    let respPrologue: String
    let respStatic: String
    let respEphemeral: String
    let handshakeHash: String?
    let messages: [Message]

    enum CodingKeys: String, CodingKey {
        case protocolName = "protocol_name"
        case initPrologue = "init_prologue"
        case initStatic = "init_static"
        case initEphemeral = "init_ephemeral"
        case respPrologue = "resp_prologue"
        case respStatic = "resp_static"
        case respEphemeral = "resp_ephemeral"
        case handshakeHash = "handshake_hash"
        case messages
    }

    /// Every vector in a file of the form `{"vectors": [...]}`.
    static func load(_ file: URL) throws -> [NoiseVector] {
        struct File: Decodable { let vectors: [NoiseVector] }
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: file)).vectors
    }
}

/// Hex that must decode (test data only).
func hex(_ text: String) throws -> [UInt8] { try Hex.decode(text) }
