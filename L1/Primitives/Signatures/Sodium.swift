internal import CSodium

/// The one wrapper around libsodium. Every other file reaches libsodium through these functions,
/// which take and return Swift arrays and turn return codes into `nil`, `false` or thrown errors.
enum Sodium {
    /// `sodium_init` runs once, before the first call that needs it (it picks CPU-specific code and
    /// seeds the random generator). It returns -1 only when the system random source is unusable.
    private static let initialized: Bool = sodium_init() >= 0

    static func ensureInitialized() {
        precondition(initialized, "libsodium could not initialise (no usable system random source)")
    }

    // MARK: - Randomness and memory

    static func randomBytes(_ count: Int) -> [UInt8] {
        ensureInitialized()
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, $0.count) }
        return out
    }

    static func zero(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        sodium_memzero(base, buffer.count)
    }

    // MARK: - Ed25519 signatures

    /// (public key, 64-byte secret key) from a 32-byte seed.
    static func ed25519KeyPair(seed: [UInt8], secretKey: UnsafeMutableRawBufferPointer) -> [UInt8] {
        ensureInitialized()
        precondition(seed.count == 32 && secretKey.count == 64)
        var publicKey = [UInt8](repeating: 0, count: 32)
        let status = publicKey.withUnsafeMutableBytes { pk in
            seed.withUnsafeBytes { seedBytes in
                crypto_sign_seed_keypair(
                    pk.bindMemory(to: UInt8.self).baseAddress!,
                    secretKey.bindMemory(to: UInt8.self).baseAddress!,
                    seedBytes.bindMemory(to: UInt8.self).baseAddress!
                )
            }
        }
        precondition(status == 0, "crypto_sign_seed_keypair cannot fail for a 32-byte seed")
        return publicKey
    }

    static func ed25519Sign(_ message: UnsafeRawBufferPointer, secretKey: UnsafeRawBufferPointer) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: 64)
        signature.withUnsafeMutableBytes { out in
            _ = crypto_sign_detached(
                out.bindMemory(to: UInt8.self).baseAddress!,
                nil,
                message.bindMemory(to: UInt8.self).baseAddress,
                UInt64(message.count),
                secretKey.bindMemory(to: UInt8.self).baseAddress!
            )
        }
        return signature
    }

    static func ed25519Verify(
        signature: UnsafeRawBufferPointer,
        message: UnsafeRawBufferPointer,
        publicKey: UnsafeRawBufferPointer
    ) -> Bool {
        ensureInitialized()
        guard signature.count == 64, publicKey.count == 32 else { return false }
        return crypto_sign_verify_detached(
            signature.bindMemory(to: UInt8.self).baseAddress!,
            message.bindMemory(to: UInt8.self).baseAddress,
            UInt64(message.count),
            publicKey.bindMemory(to: UInt8.self).baseAddress!
        ) == 0
    }

    // MARK: - Edwards25519 group and scalar arithmetic (for the ECVRF)

    /// `p + q`, or nil when either input does not decode to a curve point.
    static func pointAdd(_ p: [UInt8], _ q: [UInt8]) -> [UInt8]? {
        ensureInitialized()
        var out = [UInt8](repeating: 0, count: 32)
        let status = out.withUnsafeMutableBufferPointer { r in
            p.withUnsafeBufferPointer { pp in
                q.withUnsafeBufferPointer { qq in
                    crypto_core_ed25519_add(r.baseAddress!, pp.baseAddress!, qq.baseAddress!)
                }
            }
        }
        return status == 0 ? out : nil
    }

    /// `p - q`, or nil when either input does not decode to a curve point.
    static func pointSubtract(_ p: [UInt8], _ q: [UInt8]) -> [UInt8]? {
        ensureInitialized()
        var out = [UInt8](repeating: 0, count: 32)
        let status = out.withUnsafeMutableBufferPointer { r in
            p.withUnsafeBufferPointer { pp in
                q.withUnsafeBufferPointer { qq in
                    crypto_core_ed25519_sub(r.baseAddress!, pp.baseAddress!, qq.baseAddress!)
                }
            }
        }
        return status == 0 ? out : nil
    }

    /// True when `p` is canonical, on the curve, in the prime-order subgroup and not of small order.
    static func isValidPoint(_ p: [UInt8]) -> Bool {
        ensureInitialized()
        guard p.count == 32 else { return false }
        return p.withUnsafeBufferPointer { crypto_core_ed25519_is_valid_point($0.baseAddress!) } == 1
    }

    /// `n · p` for a point in the prime-order subgroup; nil for other points or an identity result.
    static func scalarMultiply(_ n: [UInt8], _ p: [UInt8]) -> [UInt8]? {
        ensureInitialized()
        var out = [UInt8](repeating: 0, count: 32)
        let status = out.withUnsafeMutableBufferPointer { r in
            n.withUnsafeBufferPointer { nn in
                p.withUnsafeBufferPointer { pp in
                    crypto_scalarmult_ed25519_noclamp(r.baseAddress!, nn.baseAddress!, pp.baseAddress!)
                }
            }
        }
        return status == 0 ? out : nil
    }

    /// `n · B`; nil when the result is the identity (n ≡ 0 mod L).
    static func scalarMultiplyBase(_ n: [UInt8]) -> [UInt8]? {
        ensureInitialized()
        var out = [UInt8](repeating: 0, count: 32)
        let status = out.withUnsafeMutableBufferPointer { r in
            n.withUnsafeBufferPointer { crypto_scalarmult_ed25519_base_noclamp(r.baseAddress!, $0.baseAddress!) }
        }
        return status == 0 ? out : nil
    }

    /// A 64-byte little-endian integer reduced modulo L.
    static func scalarReduce(_ wide: [UInt8]) -> [UInt8] {
        precondition(wide.count == 64)
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBufferPointer { r in
            wide.withUnsafeBufferPointer { crypto_core_ed25519_scalar_reduce(r.baseAddress!, $0.baseAddress!) }
        }
        return out
    }

    /// `(a · b + c) mod L`.
    static func scalarMultiplyAdd(_ a: [UInt8], _ b: [UInt8], _ c: [UInt8]) -> [UInt8] {
        var product = [UInt8](repeating: 0, count: 32)
        product.withUnsafeMutableBufferPointer { r in
            a.withUnsafeBufferPointer { aa in
                b.withUnsafeBufferPointer { bb in
                    crypto_core_ed25519_scalar_mul(r.baseAddress!, aa.baseAddress!, bb.baseAddress!)
                }
            }
        }
        var sum = [UInt8](repeating: 0, count: 32)
        sum.withUnsafeMutableBufferPointer { r in
            product.withUnsafeBufferPointer { pp in
                c.withUnsafeBufferPointer { cc in
                    crypto_core_ed25519_scalar_add(r.baseAddress!, pp.baseAddress!, cc.baseAddress!)
                }
            }
        }
        return sum
    }

    // MARK: - Hashing

    /// BLAKE2b with a `length`-byte output (1...64), unkeyed.
    static func blake2b(_ input: UnsafeRawBufferPointer, length: Int) -> [UInt8] {
        ensureInitialized()
        precondition(length >= 1 && length <= 64)
        var out = [UInt8](repeating: 0, count: length)
        out.withUnsafeMutableBufferPointer { r in
            _ = crypto_generichash(
                r.baseAddress!, length,
                input.bindMemory(to: UInt8.self).baseAddress, UInt64(input.count),
                nil, 0
            )
        }
        return out
    }

    // MARK: - Password hashing and secret boxes (the keystore)

    static let saltLength = Int(crypto_pwhash_saltbytes())
    static let secretBoxKeyLength = Int(crypto_secretbox_keybytes())
    static let secretBoxNonceLength = Int(crypto_secretbox_noncebytes())
    static let secretBoxTagLength = Int(crypto_secretbox_macbytes())
    static let argon2idModerateOps = UInt64(crypto_pwhash_opslimit_moderate())
    static let argon2idModerateMemory = UInt64(crypto_pwhash_memlimit_moderate())
    static let argon2idInteractiveOps = UInt64(crypto_pwhash_opslimit_interactive())
    static let argon2idInteractiveMemory = UInt64(crypto_pwhash_memlimit_interactive())

    /// Argon2id13 of `password` and `salt` into a `length`-byte key; nil when libsodium refuses the
    /// parameters or cannot allocate `memoryLimit` bytes.
    static func argon2id(
        password: [UInt8],
        salt: [UInt8],
        length: Int,
        operations: UInt64,
        memoryLimit: UInt64
    ) -> [UInt8]? {
        ensureInitialized()
        guard salt.count == saltLength, memoryLimit <= UInt64(Int.max) else { return nil }
        var key = [UInt8](repeating: 0, count: length)
        let status = key.withUnsafeMutableBufferPointer { out in
            password.withUnsafeBufferPointer { pw in
                salt.withUnsafeBufferPointer { s in
                    pw.withMemoryRebound(to: CChar.self) { pwChars in
                        crypto_pwhash(
                            out.baseAddress!, UInt64(length),
                            pwChars.baseAddress ?? UnsafePointer(bitPattern: 1)!, UInt64(password.count),
                            s.baseAddress!,
                            operations, Int(memoryLimit), crypto_pwhash_alg_argon2id13()
                        )
                    }
                }
            }
        }
        return status == 0 ? key : nil
    }

    /// XSalsa20-Poly1305 `secretbox_easy`: tag ‖ ciphertext.
    static func secretBoxSeal(_ plaintext: [UInt8], nonce: [UInt8], key: [UInt8]) -> [UInt8] {
        ensureInitialized()
        precondition(nonce.count == secretBoxNonceLength && key.count == secretBoxKeyLength)
        var out = [UInt8](repeating: 0, count: plaintext.count + secretBoxTagLength)
        out.withUnsafeMutableBufferPointer { c in
            plaintext.withUnsafeBufferPointer { m in
                nonce.withUnsafeBufferPointer { n in
                    key.withUnsafeBufferPointer { k in
                        _ = crypto_secretbox_easy(
                            c.baseAddress!, m.baseAddress, UInt64(plaintext.count), n.baseAddress!, k.baseAddress!)
                    }
                }
            }
        }
        return out
    }

    /// Opens a `secretBoxSeal` output; nil when the tag does not verify.
    static func secretBoxOpen(_ sealed: [UInt8], nonce: [UInt8], key: [UInt8]) -> [UInt8]? {
        ensureInitialized()
        guard sealed.count >= secretBoxTagLength, nonce.count == secretBoxNonceLength,
            key.count == secretBoxKeyLength
        else { return nil }
        var out = [UInt8](repeating: 0, count: sealed.count - secretBoxTagLength)
        let status = out.withUnsafeMutableBufferPointer { m in
            sealed.withUnsafeBufferPointer { c in
                nonce.withUnsafeBufferPointer { n in
                    key.withUnsafeBufferPointer { k in
                        crypto_secretbox_open_easy(
                            m.baseAddress ?? UnsafeMutablePointer(bitPattern: 1)!, c.baseAddress!, UInt64(sealed.count),
                            n.baseAddress!, k.baseAddress!)
                    }
                }
            }
        }
        return status == 0 ? out : nil
    }
}
