internal import CSecp256k1

/// secp256k1 ECDSA with public-key recovery, over libsecp256k1 (the curve of Ethereum's
/// `ecrecover`). This file is the one wrapper of the C library.
///
/// Signatures are made over 32-byte message hashes, always with a low `s` (libsecp256k1 signs
/// that way), and RFC 6979 deterministic nonces.
public enum Secp256k1 {
    /// A secp256k1 secret key: a scalar in `1..<n`. Zeroed when freed.
    public final class PrivateKey: @unchecked Sendable {
        // Immutable after init, so sharing across threads is safe.
        private let secret: UnsafeMutableRawBufferPointer
        /// The matching public key.
        public let publicKey: PublicKey

        /// The key for 32 big-endian bytes.
        /// - Throws: `KeyError` when `bytes` is not 32 bytes, or is zero or not below the group order.
        public init(_ bytes: [UInt8]) throws(KeyError) {
            guard bytes.count == 32 else { throw .invalidLength(expected: 32, actual: bytes.count) }
            let valid = bytes.withUnsafeBufferPointer {
                secp256k1_ec_seckey_verify(Context.shared.pointer, $0.baseAddress!)
            }
            guard valid == 1 else { throw .invalidKey("secp256k1 secret key is zero or not below the group order") }
            secret = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 8)
            secret.copyBytes(from: bytes)
            var raw = secp256k1_pubkey()
            let created = secp256k1_ec_pubkey_create(
                Context.shared.pointer, &raw, secret.bindMemory(to: UInt8.self).baseAddress!)
            precondition(created == 1, "a verified secret key always has a public key")
            publicKey = PublicKey(raw: raw)
        }

        /// A new key from the system's secure random source.
        public static func generate() -> PrivateKey {
            while true {
                var candidate = Sodium.randomBytes(32)
                defer { candidate.withUnsafeMutableBytes { Sodium.zero($0) } }
                // Fails only for zero or values ≥ n: probability below 2^-127.
                if let key = try? PrivateKey(candidate) { return key }
            }
        }

        deinit {
            Sodium.zero(secret)
            secret.deallocate()
        }

        /// The 32 secret bytes, big-endian. Anyone holding them can sign as this key.
        public var bytes: [UInt8] { Array(secret) }

        /// A recoverable signature of the 32-byte `messageHash` (low `s`, RFC 6979 nonce).
        public func sign(hash messageHash: Hash) -> RecoverableSignature {
            var signature = secp256k1_ecdsa_recoverable_signature()
            let signed = messageHash.withUnsafeBytes { digest in
                secp256k1_ecdsa_sign_recoverable(
                    Context.shared.pointer, &signature,
                    digest.bindMemory(to: UInt8.self).baseAddress!,
                    secret.bindMemory(to: UInt8.self).baseAddress!, nil, nil)
            }
            precondition(signed == 1, "signing with a verified key and the default nonce cannot fail")
            var compact = [UInt8](repeating: 0, count: 64)
            var recoveryId: Int32 = 0
            _ = secp256k1_ecdsa_recoverable_signature_serialize_compact(
                Context.shared.pointer, &compact, &recoveryId, &signature)
            return RecoverableSignature(unchecked: compact, recoveryId: UInt8(recoveryId))
        }
    }

    /// A secp256k1 public key (a curve point other than infinity).
    public struct PublicKey: Hashable, Sendable, CustomStringConvertible {
        /// The 65-byte uncompressed form, `04 ‖ x ‖ y`.
        public let uncompressed: [UInt8]

        fileprivate init(raw: secp256k1_pubkey) {
            var raw = raw
            var out = [UInt8](repeating: 0, count: 65)
            var length = 65
            _ = secp256k1_ec_pubkey_serialize(
                Context.shared.pointer, &out, &length, &raw, aether_secp256k1_ec_uncompressed)
            uncompressed = out
        }

        /// Parses a 33-byte compressed or 65-byte uncompressed point.
        /// - Throws: `KeyError` when the bytes are not a point on the curve.
        public init(_ bytes: [UInt8]) throws(KeyError) {
            guard bytes.count == 33 || bytes.count == 65 else {
                throw .invalidLength(expected: 33, actual: bytes.count)
            }
            var raw = secp256k1_pubkey()
            let parsed = bytes.withUnsafeBufferPointer {
                secp256k1_ec_pubkey_parse(Context.shared.pointer, &raw, $0.baseAddress!, bytes.count)
            }
            guard parsed == 1 else { throw .invalidKey("not a point on secp256k1") }
            self.init(raw: raw)
        }

        /// The 33-byte compressed form, `02|03 ‖ x`.
        public var compressed: [UInt8] {
            var raw = parsed()
            var out = [UInt8](repeating: 0, count: 33)
            var length = 33
            _ = secp256k1_ec_pubkey_serialize(
                Context.shared.pointer, &out, &length, &raw, aether_secp256k1_ec_compressed)
            return out
        }

        /// The Ethereum address: the last 20 bytes of Keccak-256 of `x ‖ y`.
        public var ethereumAddress: EthereumAddress {
            let digest = uncompressed.withUnsafeBytes { Hashing.keccak256(UnsafeRawBufferPointer(rebasing: $0[1...])) }
            return EthereumAddress(validated: Array(digest.bytes[12...]))
        }

        /// True when `signature` (which must have a low `s`) signs `messageHash` under this key.
        public func isValidSignature(_ signature: RecoverableSignature, for messageHash: Hash) -> Bool {
            guard signature.isLowS else { return false }
            var raw = parsed()
            var plain = secp256k1_ecdsa_signature()
            let ok = signature.compact.withUnsafeBufferPointer {
                secp256k1_ecdsa_signature_parse_compact(Context.shared.pointer, &plain, $0.baseAddress!)
            }
            guard ok == 1 else { return false }
            return messageHash.withUnsafeBytes { digest in
                secp256k1_ecdsa_verify(
                    Context.shared.pointer, &plain, digest.bindMemory(to: UInt8.self).baseAddress!, &raw)
            } == 1
        }

        private func parsed() -> secp256k1_pubkey {
            var raw = secp256k1_pubkey()
            let ok = uncompressed.withUnsafeBufferPointer {
                secp256k1_ec_pubkey_parse(Context.shared.pointer, &raw, $0.baseAddress!, 65)
            }
            precondition(ok == 1, "a PublicKey always holds a valid point")
            return raw
        }

        public var description: String { Hex.encode(compressed) }
    }

    /// An ECDSA signature with its recovery id: `r ‖ s` (64 bytes) and `v` in 0...3.
    public struct RecoverableSignature: Hashable, Sendable, CustomStringConvertible {
        /// `r ‖ s`, each 32 bytes big-endian.
        public let compact: [UInt8]
        /// Which of the candidate points is the signer's key (0...3; Ethereum adds 27 or 35+2·chainId).
        public let recoveryId: UInt8

        fileprivate init(unchecked compact: [UInt8], recoveryId: UInt8) {
            self.compact = compact
            self.recoveryId = recoveryId
        }

        /// A signature from `r ‖ s ‖ v` (65 bytes). `v` may be 0...3 or Ethereum's 27...30.
        /// - Throws: `KeyError` for a wrong length, a bad `v`, or `r`/`s` out of range.
        public init(_ bytes: [UInt8]) throws(KeyError) {
            guard bytes.count == 65 else { throw .invalidLength(expected: 65, actual: bytes.count) }
            let v = bytes[64] >= 27 ? bytes[64] &- 27 : bytes[64]
            try self.init(compact: Array(bytes[0..<64]), recoveryId: v)
        }

        /// A signature from `r ‖ s` and a recovery id 0...3.
        /// - Throws: `KeyError` for a wrong length, a bad recovery id, or `r`/`s` out of range.
        public init(compact: [UInt8], recoveryId: UInt8) throws(KeyError) {
            guard compact.count == 64 else { throw .invalidLength(expected: 64, actual: compact.count) }
            guard recoveryId <= 3 else { throw .invalidSignature("recovery id \(recoveryId) is not in 0...3") }
            var parsed = secp256k1_ecdsa_recoverable_signature()
            let ok = compact.withUnsafeBufferPointer {
                secp256k1_ecdsa_recoverable_signature_parse_compact(
                    Context.shared.pointer, &parsed, $0.baseAddress!, Int32(recoveryId))
            }
            guard ok == 1 else { throw .invalidSignature("r or s is not below the group order") }
            self.init(unchecked: compact, recoveryId: recoveryId)
        }

        /// `r ‖ s ‖ v` with `v` in 0...3.
        public var bytes: [UInt8] { compact + [recoveryId] }

        /// The 32-byte `r`.
        public var r: [UInt8] { Array(compact[0..<32]) }
        /// The 32-byte `s`.
        public var s: [UInt8] { Array(compact[32..<64]) }

        /// True when `s ≤ n/2`, the form Ethereum transactions (EIP-2) and our contracts require.
        public var isLowS: Bool { !Secp256k1.halfOrder.lexicographicallyPrecedes(s) }

        /// The same signature with `s` replaced by `n − s` when it was high (and `v` flipped to match).
        public var normalized: RecoverableSignature {
            if isLowS { return self }
            var plain = secp256k1_ecdsa_signature()
            _ = compact.withUnsafeBufferPointer {
                secp256k1_ecdsa_signature_parse_compact(Context.shared.pointer, &plain, $0.baseAddress!)
            }
            var lowered = secp256k1_ecdsa_signature()
            _ = secp256k1_ecdsa_signature_normalize(Context.shared.pointer, &lowered, &plain)
            var out = [UInt8](repeating: 0, count: 64)
            _ = secp256k1_ecdsa_signature_serialize_compact(Context.shared.pointer, &out, &lowered)
            return RecoverableSignature(unchecked: out, recoveryId: recoveryId ^ 1)
        }

        /// The public key that made this signature over `messageHash`.
        /// - Parameter requireLowS: reject high-`s` signatures (malleable copies); on by default.
        /// - Throws: `KeyError.invalidSignature` when no key recovers or `s` is high.
        public func recoverPublicKey(from messageHash: Hash, requireLowS: Bool = true) throws(KeyError) -> PublicKey {
            if requireLowS && !isLowS { throw .invalidSignature("s is in the upper half of the order (malleable)") }
            var parsed = secp256k1_ecdsa_recoverable_signature()
            let parsedOK = compact.withUnsafeBufferPointer {
                secp256k1_ecdsa_recoverable_signature_parse_compact(
                    Context.shared.pointer, &parsed, $0.baseAddress!, Int32(recoveryId))
            }
            guard parsedOK == 1 else { throw .invalidSignature("r or s is not below the group order") }
            var raw = secp256k1_pubkey()
            let recovered = messageHash.withUnsafeBytes {
                secp256k1_ecdsa_recover(
                    Context.shared.pointer, &raw, &parsed, $0.bindMemory(to: UInt8.self).baseAddress!)
            }
            guard recovered == 1 else { throw .invalidSignature("no public key recovers from this signature") }
            return PublicKey(raw: raw)
        }

        public var description: String { Hex.encode(bytes) }
    }

    /// `n / 2` (rounded down), big-endian: the largest low `s`.
    static let halfOrder: [UInt8] = [
        0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
    ]

    /// The process-wide libsecp256k1 context: created and randomised once, then only read, which the
    /// library documents as safe from many threads.
    final class Context: @unchecked Sendable {
        static let shared = Context()
        let pointer: OpaquePointer

        private init() {
            guard let created = secp256k1_context_create(aether_secp256k1_context_none) else {
                preconditionFailure("libsecp256k1 could not allocate a context")
            }
            var seed = Sodium.randomBytes(32)
            _ = secp256k1_context_randomize(created, &seed)
            pointer = created
        }
    }
}
