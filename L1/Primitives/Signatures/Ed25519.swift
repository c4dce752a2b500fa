/// Ed25519 signatures (RFC 8032, pure Ed25519) over libsodium.
///
/// Verification is libsodium's: it rejects non-canonical encodings of `S`, small-order public keys
/// and small-order `R`, which is stricter than RFC 8032's cofactored check and is the same rule on
/// every node, so a signature is valid everywhere or nowhere.
public enum Ed25519 {
    /// True when `bytes` decode to a point on the curve (any subgroup): what Solana requires a
    /// program-derived address not to be.
    public static func isOnCurve(_ bytes: [UInt8]) -> Bool {
        bytes.count == 32 && Sodium.pointAdd(bytes, bytes) != nil
    }

    /// An Ed25519 secret key: the 32-byte seed (and libsodium's expanded form, kept for signing).
    ///
    /// The secret bytes live in memory this object owns and are zeroed when it is freed.
    public final class PrivateKey: @unchecked Sendable {
        // seed ‖ public key, the 64-byte layout libsodium signs with. Immutable after init, so
        // sharing across threads is safe.
        private let secret: UnsafeMutableRawBufferPointer
        /// The matching public key.
        public let publicKey: PublicKey

        /// The key for a 32-byte seed (the RFC 8032 secret key).
        /// - Throws: `KeyError.invalidLength` when `seed` is not 32 bytes.
        public init(seed: [UInt8]) throws(KeyError) {
            guard seed.count == 32 else { throw .invalidLength(expected: 32, actual: seed.count) }
            secret = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
            publicKey = PublicKey(validated: Sodium.ed25519KeyPair(seed: seed, secretKey: secret))
        }

        /// A new key from the system's secure random source.
        public static func generate() -> PrivateKey {
            var seed = Sodium.randomBytes(32)
            defer { seed.withUnsafeMutableBytes { Sodium.zero($0) } }
            // A 32-byte seed always makes a key.
            return try! PrivateKey(seed: seed)
        }

        deinit {
            Sodium.zero(secret)
            secret.deallocate()
        }

        /// The 32-byte seed. Handle with care: anyone holding it can sign as this key.
        public var seed: [UInt8] { Array(secret[0..<32]) }

        /// The deterministic signature of `message`.
        public func sign(_ message: [UInt8]) -> Signature {
            message.withUnsafeBytes { sign($0) }
        }

        /// The deterministic signature of the bytes in `message`.
        public func sign(_ message: UnsafeRawBufferPointer) -> Signature {
            Signature(validated: Sodium.ed25519Sign(message, secretKey: UnsafeRawBufferPointer(secret)))
        }
    }

    /// A 32-byte Ed25519 public key.
    public struct PublicKey: Hashable, Sendable, Comparable, CustomStringConvertible {
        /// The 32-byte compressed point.
        public let bytes: [UInt8]

        fileprivate init(validated bytes: [UInt8]) { self.bytes = bytes }

        /// A public key from its 32 bytes.
        ///
        /// Only the length is checked here; a key that is not a valid point fails every verification.
        /// - Throws: `KeyError.invalidLength` when `bytes` is not 32 bytes.
        public init(_ bytes: [UInt8]) throws(KeyError) {
            guard bytes.count == 32 else { throw .invalidLength(expected: 32, actual: bytes.count) }
            self.bytes = bytes
        }

        /// True when `signature` is a valid signature of `message` under this key.
        public func isValidSignature(_ signature: Signature, for message: [UInt8]) -> Bool {
            message.withUnsafeBytes { isValidSignature(signature, for: $0) }
        }

        /// True when `signature` is a valid signature of the bytes in `message` under this key.
        public func isValidSignature(_ signature: Signature, for message: UnsafeRawBufferPointer) -> Bool {
            signature.bytes.withUnsafeBytes { sig in
                bytes.withUnsafeBytes { key in Sodium.ed25519Verify(signature: sig, message: message, publicKey: key) }
            }
        }

        public var description: String { Hex.encode(bytes) }

        public static func < (lhs: PublicKey, rhs: PublicKey) -> Bool {
            lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
        }
    }

    /// A 64-byte Ed25519 signature, `R ‖ S`.
    public struct Signature: Hashable, Sendable, CustomStringConvertible {
        /// The 64 bytes.
        public let bytes: [UInt8]

        fileprivate init(validated bytes: [UInt8]) { self.bytes = bytes }

        /// A signature from its 64 bytes.
        /// - Throws: `KeyError.invalidLength` when `bytes` is not 64 bytes.
        public init(_ bytes: [UInt8]) throws(KeyError) {
            guard bytes.count == 64 else { throw .invalidLength(expected: 64, actual: bytes.count) }
            self.bytes = bytes
        }

        public var description: String { Hex.encode(bytes) }
    }
}

extension Ed25519.PublicKey: CanonicalCodable {
    /// A fixed 32-byte field.
    public func encode(to encoder: inout CanonicalEncoder) { encoder.write(fixed: bytes) }
    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        self.init(validated: try decoder.readFixed(count: 32))
    }
}

extension Ed25519.Signature: CanonicalCodable {
    /// A fixed 64-byte field.
    public func encode(to encoder: inout CanonicalEncoder) { encoder.write(fixed: bytes) }
    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        self.init(validated: try decoder.readFixed(count: 64))
    }
}

/// Why bytes are not a usable key or signature.
public enum KeyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The byte string has the wrong length for this kind of key or signature.
    case invalidLength(expected: Int, actual: Int)
    /// The bytes have the right length but are not a valid key (zero, out of range, off the curve).
    case invalidKey(String)
    /// A signature's encoding is malformed (for example a recovery id outside 0...3).
    case invalidSignature(String)

    public var description: String {
        switch self {
        case .invalidLength(let expected, let actual): "expected \(expected) bytes, got \(actual)"
        case .invalidKey(let reason): "invalid key: \(reason)"
        case .invalidSignature(let reason): "invalid signature: \(reason)"
        }
    }
}
