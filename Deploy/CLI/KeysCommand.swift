import ArgumentParser
import Chain
import Foundation
import Keystore
import Primitives

/// `aether keys`: an encrypted keystore of Ed25519 and secp256k1 keys.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list, show, import and export encrypted keys.",
        subcommands: [New.self, List.self, Show.self, Import.self, Export.self, Delete.self]
    )

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Generate a key and save it encrypted.")
        @Argument(help: "The key's name (A-Z a-z 0-9 . _ -).") var name: String
        @Option(help: "ed25519 or secp256k1.") var algorithm: KeyAlgorithmArgument = .ed25519
        @Option(help: "Key-derivation cost: moderate (default, ~1 s, 256 MiB) or interactive (64 MiB).")
        var kdf: KDFStrength = .moderate
        @OptionGroup var store: KeystoreOptions
        @OptionGroup var password: PasswordOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                let secret = try password.read(confirm: true)
                let info = try store.keystore.create(
                    name: name, algorithm: algorithm.keyAlgorithm, password: secret, parameters: kdf.parameters)
                report(info, file: store.keystore.fileURL(for: name).path).print(json: output.json)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys in the keystore.")
        @OptionGroup var store: KeystoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                let keys = try store.keystore.list()
                if output.json {
                    print(Report.jsonText(keys.map { report($0, file: nil) }))
                } else if keys.isEmpty {
                    print("no keys in \(store.keystore.directory.path)")
                } else {
                    for key in keys {
                        print("\(key.name)\t\(key.algorithm.rawValue)\t\(key.address ?? key.publicKey)")
                    }
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a key's public key (and address).")
        @Argument(help: "The key's name.") var name: String
        @OptionGroup var store: KeystoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                let info = try store.keystore.info(name: name)
                report(info, file: store.keystore.fileURL(for: name).path).print(json: output.json)
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a raw 32-byte secret (hex) from a file or standard input and save it encrypted.")
        @Argument(help: "The key's name.") var name: String
        @Option(help: "ed25519 (the secret is the 32-byte seed) or secp256k1 (the 32-byte scalar).")
        var algorithm: KeyAlgorithmArgument = .ed25519
        @Option(help: "File holding the secret as hex; '-' (default) reads standard input.")
        var secretFile: String = "-"
        @Option(help: "Key-derivation cost: moderate or interactive.") var kdf: KDFStrength = .moderate
        @OptionGroup var store: KeystoreOptions
        @OptionGroup var password: PasswordOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                let text = String(decoding: try readInput(secretFile), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                var secretBytes = try hexArgument(text, name: "secret-file", count: 32)
                defer { secretBytes.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) } }
                let key = try UnlockedKey(algorithm: algorithm.keyAlgorithm, secret: secretBytes)
                let secret = try password.read(confirm: true)
                let info = try store.keystore.save(name: name, key: key, password: secret, parameters: kdf.parameters)
                report(info, file: store.keystore.fileURL(for: name).path).print(json: output.json)
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decrypt a key and print its raw secret as hex. Anyone who sees it can sign as this key.")
        @Argument(help: "The key's name.") var name: String
        @OptionGroup var store: KeystoreOptions
        @OptionGroup var password: PasswordOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                let key = try store.keystore.unlock(name: name, password: try password.read(confirm: false))
                var out = Report()
                out.add("name", name)
                out.add("algorithm", key.algorithm.rawValue)
                out.add("secret", Hex.encode(key.secret))
                FileHandle.standardError.write(Data("warning: this is the raw secret key of '\(name)'\n".utf8))
                out.print(json: output.json)
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a key file from the keystore.")
        @Argument(help: "The key's name.") var name: String
        @Flag(help: "Confirm the deletion (there is no undo).") var yes = false
        @OptionGroup var store: KeystoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                guard yes else { throw CommandFailure("deleting '\(name)' cannot be undone: pass --yes to confirm") }
                try store.keystore.delete(name: name)
                var out = Report()
                out.add("deleted", name)
                out.print(json: output.json)
            }
        }
    }
}

/// The report printed for one key.
func report(_ info: KeyInfo, file: String?) -> Report {
    var out = Report()
    out.add("name", info.name)
    out.add("algorithm", info.algorithm.rawValue)
    out.add("publicKey", info.publicKey)
    if let address = info.address {
        out.add("address", address)
    } else if info.algorithm == .ed25519, let key = try? Ed25519.PublicKey(Hex.decode(info.publicKey)) {
        // The account an Ed25519 key signs for on Aether chains.
        out.add("address", Address(publicKey: key).description)
    }
    if let file { out.add("file", file) }
    return out
}

/// Argon2id cost presets offered on the command line.
enum KDFStrength: String, ExpressibleByArgument, CaseIterable {
    case moderate
    case interactive

    var parameters: SealedSecret.Parameters {
        switch self {
        case .moderate: .moderate
        case .interactive: .interactive
        }
    }
}

/// Where the keystore lives: `--keystore`, else `$AETHER_HOME/keys`, else `~/.aether/keys`.
struct KeystoreOptions: ParsableArguments {
    @Option(name: .customLong("keystore"), help: "Keystore directory (default: $AETHER_HOME/keys or ~/.aether/keys).")
    var path: String?

    /// The keystore at the chosen directory.
    var keystore: Keystore {
        if let path { return Keystore(directory: URL(fileURLWithPath: path)) }
        let environment = ProcessInfo.processInfo.environment
        let home =
            environment["AETHER_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".aether")
        return Keystore(directory: home.appendingPathComponent("keys"))
    }
}
