import ArgumentParser
import Foundation
import Keystore
import Primitives

/// `aether util`: the hashing, signing, VRF and proof tools users of chain toolkits reach for.
struct Util: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "util",
        abstract: "Hashes, signatures, VRF proofs, Merkle roots and ICS-23 proof checks.",
        subcommands: [
            Keccak256.self, SHA256.self, Sign.self, Verify.self, Recover.self, VRFCommand.self, MerkleRoot.self,
            ICS23Verify.self,
        ]
    )

    struct Keccak256: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keccak256", abstract: "Keccak-256 (Ethereum's hash) of the input.")
        @OptionGroup var input: InputOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                var out = Report()
                out.add("keccak256", Hashing.keccak256(try input.bytes()).hex)
                out.print(json: output.json)
            }
        }
    }

    struct SHA256: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sha256", abstract: "SHA-256 of the input.")
        @OptionGroup var input: InputOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                var out = Report()
                out.add("sha256", Hashing.sha256(try input.bytes()).hex)
                out.print(json: output.json)
            }
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign the input with a raw secret or a keystore key.",
            discussion: """
                ed25519 signs the message bytes. secp256k1 signs Keccak-256 of the message (or the \
                input itself with --prehashed, which must be 32 bytes) and prints r‖s‖v with v in 0...3.
                """)
        @Option(help: "ed25519 or secp256k1.") var algorithm: KeyAlgorithmArgument = .ed25519
        @OptionGroup var key: SigningKeyOptions
        @Flag(help: "secp256k1 only: the input is already the 32-byte hash to sign.") var prehashed = false
        @OptionGroup var input: InputOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                let message = try input.bytes()
                var out = Report()
                switch try key.load(algorithm: algorithm) {
                case .ed25519(let secret):
                    out.add("publicKey", secret.publicKey.description)
                    out.add("signature", secret.sign(message).description)
                case .secp256k1(let secret):
                    let digest = try messageHash(message, prehashed: prehashed)
                    let signature = secret.sign(hash: digest)
                    out.add("address", secret.publicKey.ethereumAddress.checksummed)
                    out.add("hash", digest.hex)
                    out.add("signature", signature.description)
                }
                out.print(json: output.json)
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a signature; exits 0 when valid and 1 (with the reason) when not.")
        @Option(help: "ed25519 or secp256k1.") var algorithm: KeyAlgorithmArgument = .ed25519
        @Option(help: "Public key, hex (Ed25519: 32 bytes; secp256k1: 33 or 65 bytes).") var publicKey: String
        @Option(help: "Signature, hex (Ed25519: 64 bytes; secp256k1: r‖s‖v, 65 bytes).") var signature: String
        @Flag(help: "secp256k1 only: the input is already the 32-byte hash that was signed.") var prehashed = false
        @OptionGroup var input: InputOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                let message = try input.bytes()
                let valid: Bool
                switch algorithm {
                case .ed25519:
                    let key = try Ed25519.PublicKey(try hexArgument(publicKey, name: "public-key"))
                    let sig = try Ed25519.Signature(try hexArgument(signature, name: "signature"))
                    valid = key.isValidSignature(sig, for: message)
                case .secp256k1:
                    let key = try Secp256k1.PublicKey(try hexArgument(publicKey, name: "public-key"))
                    let sig = try Secp256k1.RecoverableSignature(try hexArgument(signature, name: "signature"))
                    valid = key.isValidSignature(sig, for: try messageHash(message, prehashed: prehashed))
                }
                guard valid else { throw CommandFailure("signature is not valid for this key and message") }
                var out = Report()
                out.add("valid", true)
                out.print(json: output.json)
            }
        }
    }

    struct Recover: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recover the secp256k1 public key and Ethereum address that signed the input.")
        @Option(help: "Signature r‖s‖v, hex, 65 bytes (v in 0...3 or 27...28).") var signature: String
        @Flag(help: "The input is already the 32-byte hash that was signed.") var prehashed = false
        @Flag(help: "Accept a high-s (malleable) signature.") var allowHighS = false
        @OptionGroup var input: InputOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                let digest = try messageHash(try input.bytes(), prehashed: prehashed)
                let sig = try Secp256k1.RecoverableSignature(try hexArgument(signature, name: "signature"))
                let key = try sig.recoverPublicKey(from: digest, requireLowS: !allowHighS)
                var out = Report()
                out.add("publicKey", Hex.encode(key.compressed))
                out.add("address", key.ethereumAddress.checksummed)
                out.print(json: output.json)
            }
        }
    }

    struct VRFCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "vrf", abstract: "ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381) proofs.",
            subcommands: [Prove.self, Check.self])

        struct Prove: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Prove the input (alpha); print proof and output.")
            @OptionGroup var key: SigningKeyOptions
            @OptionGroup var input: InputOptions
            @OptionGroup var output: OutputOptions

            func run() throws {
                try reportingErrors(json: output.json) {
                    guard case .ed25519(let secret) = try key.load(algorithm: .ed25519) else {
                        throw CommandFailure("a VRF key is an ed25519 key")
                    }
                    let vrfKey = try VRF.SecretKey(seed: secret.seed)
                    let alpha = try input.bytes()
                    let proof = try VRF.prove(alpha, secretKey: vrfKey)
                    let beta = try VRF.verify(alpha, proof: proof, publicKey: vrfKey.publicKey)
                    var out = Report()
                    out.add("publicKey", vrfKey.publicKey.description)
                    out.add("proof", proof.description)
                    out.add("output", Hex.encode(beta))
                    out.print(json: output.json)
                }
            }
        }

        struct Check: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "verify",
                abstract: "Verify a proof for the input (alpha); print the output, or exit 1 with the reason.")
            @Option(help: "The prover's public key, hex (32 bytes).") var publicKey: String
            @Option(help: "The proof, hex (80 bytes).") var proof: String
            @OptionGroup var input: InputOptions
            @OptionGroup var output: OutputOptions

            func run() throws {
                try reportingErrors(json: output.json) {
                    let key = try Ed25519.PublicKey(try hexArgument(publicKey, name: "public-key"))
                    let parsed = try VRF.Proof(try hexArgument(proof, name: "proof"))
                    let beta = try VRF.verify(try input.bytes(), proof: parsed, publicKey: key)
                    var out = Report()
                    out.add("valid", true)
                    out.add("output", Hex.encode(beta))
                    out.print(json: output.json)
                }
            }
        }
    }

    struct MerkleRoot: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "merkle-root",
            abstract: "The RFC 6962 Merkle root (SHA-256, 0x00/0x01 domain separation) of the leaves.",
            discussion: "Leaves are hex arguments, or lines of a file with --file (hex, or text with --text-lines).")
        @Argument(help: "Leaves as hex.") var leaves: [String] = []
        @Option(help: "Read leaves from a file, one per line ('-' for standard input).") var file: String?
        @Flag(help: "With --file: each line is a text leaf, not hex.") var textLines = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                var data: [[UInt8]] = try leaves.enumerated().map { try hexArgument($1, name: "leaf \($0)") }
                if let file {
                    let lines = String(decoding: try readInput(file), as: UTF8.self)
                        .split(separator: "\n", omittingEmptySubsequences: true)
                    for (index, line) in lines.enumerated() {
                        data.append(
                            textLines ? Array(line.utf8) : try hexArgument(String(line), name: "line \(index + 1)"))
                    }
                }
                var out = Report()
                out.add("leaves", data.count)
                out.add("root", MerkleTree.root(data).hex)
                out.print(json: output.json)
            }
        }
    }
}

/// Keccak-256 of `message`, or `message` itself when `prehashed` (then it must be 32 bytes).
func messageHash(_ message: [UInt8], prehashed: Bool) throws -> Hash {
    guard prehashed else { return Hashing.keccak256(message) }
    do { return try Hash(message) } catch { throw CommandFailure("--prehashed input must be 32 bytes: \(error)") }
}

/// A signing algorithm named on the command line.
enum KeyAlgorithmArgument: String, ExpressibleByArgument, CaseIterable {
    case ed25519
    case secp256k1

    var keyAlgorithm: KeyAlgorithm {
        switch self {
        case .ed25519: .ed25519
        case .secp256k1: .secp256k1
        }
    }
}

/// A secret key given as a raw hex file or as a keystore key.
struct SigningKeyOptions: ParsableArguments {
    @Option(help: "A keystore key's name.") var key: String?
    @Option(help: "A file holding the raw 32-byte secret as hex ('-' for standard input).") var secretFile: String?
    @OptionGroup var store: KeystoreOptions
    @OptionGroup var password: PasswordOptions

    enum Loaded {
        case ed25519(Ed25519.PrivateKey)
        case secp256k1(Secp256k1.PrivateKey)
    }

    func load(algorithm: KeyAlgorithmArgument) throws -> Loaded {
        switch (key, secretFile) {
        case (let name?, nil):
            switch try store.keystore.unlock(name: name, password: try password.read(confirm: false)) {
            case .ed25519(let secret) where algorithm == .ed25519: return .ed25519(secret)
            case .secp256k1(let secret) where algorithm == .secp256k1: return .secp256k1(secret)
            case let other:
                throw CommandFailure("key '\(name)' is \(other.algorithm.rawValue), not \(algorithm.rawValue)")
            }
        case (nil, let path?):
            let text = String(decoding: try readInput(path), as: UTF8.self).trimmingCharacters(
                in: .whitespacesAndNewlines)
            let secret = try hexArgument(text, name: "secret-file", count: 32)
            switch algorithm {
            case .ed25519: return .ed25519(try Ed25519.PrivateKey(seed: secret))
            case .secp256k1: return .secp256k1(try Secp256k1.PrivateKey(secret))
            }
        default:
            throw CommandFailure("give the signing key with exactly one of --key NAME or --secret-file FILE")
        }
    }
}
