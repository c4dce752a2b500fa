// The benchmark baselines: the C libraries called directly, with no Aether wrapper in between, so
// `aether bench` can show what the wrappers cost. This file is the one place outside the wrappers
// that may import the C modules (Deploy/Scripts/check-purity.sh knows it).
import CIsal
import COpenSSL
import CRocksDB
import CSecp256k1
import CSodium
import Foundation

/// Direct calls into OpenSSL, libsodium, libsecp256k1, ISA-L and RocksDB over raw buffers.
enum Baselines {
    // MARK: - OpenSSL

    /// OpenSSL's SHA-256 of `count` bytes at `data` into `digest` (32 bytes), through the block
    /// functions with a stack context: the fastest way to call it (the one-shot `SHA256()` goes
    /// through an EVP fetch that costs four times as much for short messages).
    @inline(__always)
    static func opensslSHA256(_ data: UnsafeRawPointer, _ count: Int, into digest: UnsafeMutablePointer<UInt8>) {
        var context = SHA256_CTX()
        SHA256_Init(&context)
        SHA256_Update(&context, data, count)
        SHA256_Final(digest, &context)
    }

    /// OpenSSL's SHA3-256 (FIPS 202): the same Keccak-f[1600] permutation as Keccak-256, in assembly.
    static func opensslSHA3_256(_ data: UnsafeRawBufferPointer, into digest: UnsafeMutablePointer<UInt8>) {
        var length: UInt32 = 32
        _ = EVP_Digest(data.baseAddress, data.count, digest, &length, EVP_sha3_256(), nil)
    }

    // MARK: - ISA-L

    /// ISA-L's encoder tables for the Cauchy code with `k` data and `k` parity shards.
    static func isalTables(k: Int) -> [UInt8] {
        var matrix = [UInt8](repeating: 0, count: 2 * k * k)
        gf_gen_cauchy1_matrix(&matrix, Int32(2 * k), Int32(k))
        var tables = [UInt8](repeating: 0, count: 32 * k * k)
        matrix.withUnsafeMutableBufferPointer { ec_init_tables(Int32(k), Int32(k), $0.baseAddress! + k * k, &tables) }
        return tables
    }

    /// The 2D extension of the `k × k` shares in the top-left of `square` (row-major, `2k` shares
    /// of `size` bytes wide) as bare `ec_encode_data` calls: each top row, then every column.
    /// `pointers` holds `2k` slots.
    static func isalExtend(
        k: Int, size: Int, tables: UnsafeMutablePointer<UInt8>, square: UnsafeMutablePointer<UInt8>,
        pointers: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>
    ) {
        let width = 2 * k
        for row in 0..<k {
            for index in 0..<width { pointers[index] = square + (row * width + index) * size }
            ec_encode_data(Int32(size), Int32(k), Int32(k), tables, pointers, pointers + k)
        }
        for column in 0..<width {
            for index in 0..<width { pointers[index] = square + (index * width + column) * size }
            ec_encode_data(Int32(size), Int32(k), Int32(k), tables, pointers, pointers + k)
        }
    }

    // MARK: - libsodium

    static func sodiumInit() { _ = sodium_init() }

    /// (public key, 64-byte secret key) from a seed.
    static func sodiumKeyPair(seed: [UInt8]) -> (publicKey: [UInt8], secretKey: [UInt8]) {
        var publicKey = [UInt8](repeating: 0, count: 32)
        var secretKey = [UInt8](repeating: 0, count: 64)
        _ = crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
        return (publicKey, secretKey)
    }

    @inline(__always)
    static func sodiumSign(
        _ message: UnsafePointer<UInt8>, _ count: Int, secretKey: UnsafePointer<UInt8>,
        into signature: UnsafeMutablePointer<UInt8>
    ) {
        _ = crypto_sign_detached(signature, nil, message, UInt64(count), secretKey)
    }

    @inline(__always)
    static func sodiumVerify(
        _ signature: UnsafePointer<UInt8>, _ message: UnsafePointer<UInt8>, _ count: Int,
        publicKey: UnsafePointer<UInt8>
    ) -> Bool {
        crypto_sign_verify_detached(signature, message, UInt64(count), publicKey) == 0
    }

    /// ECVRF-EDWARDS25519-SHA512-TAI prove as a bare sequence of libsodium calls on stack buffers:
    /// the same arithmetic as `VRF.prove`, without our array-based wrapper. Returns false if the
    /// input needs more than one try-and-increment round (the benchmark picks inputs that do not).
    static func sodiumVRFProve(
        seed: UnsafePointer<UInt8>, publicKey: UnsafePointer<UInt8>, alpha: UnsafePointer<UInt8>, alphaCount: Int,
        proof: UnsafeMutablePointer<UInt8>
    ) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { scratch in
            let base = scratch.baseAddress!
            let expanded = base, x = base + 64, h = base + 96, gamma = base + 128, k = base + 160
            let kB = base + 192, kH = base + 224, wide = base + 256, hashInput = base + 320, digest = base + 512
            crypto_hash_sha512(expanded, seed, 32)
            memset(wide, 0, 64)
            memcpy(wide, expanded, 32)
            wide[0] &= 248
            wide[31] &= 127
            wide[31] |= 64
            crypto_core_ed25519_scalar_reduce(x, wide)
            // encode_to_curve, first try only: SHA-512(03 01 pk alpha 00 00), decode, ×8.
            hashInput[0] = 0x03
            hashInput[1] = 0x01
            memcpy(hashInput + 2, publicKey, 32)
            memcpy(hashInput + 34, alpha, alphaCount)
            hashInput[34 + alphaCount] = 0
            hashInput[35 + alphaCount] = 0
            crypto_hash_sha512(digest, hashInput, UInt64(36 + alphaCount))
            guard crypto_core_ed25519_add(h, digest, digest) == 0 else { return false }
            _ = crypto_core_ed25519_add(h, h, h)
            _ = crypto_core_ed25519_add(h, h, h)
            guard crypto_scalarmult_ed25519_noclamp(gamma, x, h) == 0 else { return false }
            // k = SHA-512(expanded[32..<64] ‖ h) mod L.
            memcpy(hashInput, expanded + 32, 32)
            memcpy(hashInput + 32, h, 32)
            crypto_hash_sha512(digest, hashInput, 64)
            crypto_core_ed25519_scalar_reduce(k, digest)
            _ = crypto_scalarmult_ed25519_base_noclamp(kB, k)
            _ = crypto_scalarmult_ed25519_noclamp(kH, k, h)
            // c = SHA-512(03 02 Y H Γ kB kH 00)[0..<16]; s = k + c·x.
            hashInput[0] = 0x03
            hashInput[1] = 0x02
            memcpy(hashInput + 2, publicKey, 32)
            memcpy(hashInput + 34, h, 32)
            memcpy(hashInput + 66, gamma, 32)
            memcpy(hashInput + 98, kB, 32)
            memcpy(hashInput + 130, kH, 32)
            hashInput[162] = 0
            crypto_hash_sha512(digest, hashInput, 163)
            memset(wide, 0, 32)
            memcpy(wide, digest, 16)
            crypto_core_ed25519_scalar_mul(wide + 32, wide, x)
            memcpy(proof, gamma, 32)
            memcpy(proof + 32, digest, 16)
            crypto_core_ed25519_scalar_add(proof + 48, wide + 32, k)
            return true
        }
    }

    /// ECVRF verify as bare libsodium calls (first try-and-increment round only); true when valid.
    static func sodiumVRFVerify(
        publicKey: UnsafePointer<UInt8>, alpha: UnsafePointer<UInt8>, alphaCount: Int, proof: UnsafePointer<UInt8>
    ) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { scratch in
            let base = scratch.baseAddress!
            let h = base, c = base + 32, sB = base + 64, cY = base + 96, sH = base + 128, cG = base + 160
            let u = base + 192, v = base + 224, hashInput = base + 256, digest = base + 448
            guard crypto_core_ed25519_is_valid_point(publicKey) == 1, crypto_core_ed25519_is_valid_point(proof) == 1
            else { return false }
            hashInput[0] = 0x03
            hashInput[1] = 0x01
            memcpy(hashInput + 2, publicKey, 32)
            memcpy(hashInput + 34, alpha, alphaCount)
            hashInput[34 + alphaCount] = 0
            hashInput[35 + alphaCount] = 0
            crypto_hash_sha512(digest, hashInput, UInt64(36 + alphaCount))
            guard crypto_core_ed25519_add(h, digest, digest) == 0 else { return false }
            _ = crypto_core_ed25519_add(h, h, h)
            _ = crypto_core_ed25519_add(h, h, h)
            memset(c, 0, 32)
            memcpy(c, proof + 32, 16)
            guard crypto_scalarmult_ed25519_base_noclamp(sB, proof + 48) == 0,
                crypto_scalarmult_ed25519_noclamp(cY, c, publicKey) == 0,
                crypto_scalarmult_ed25519_noclamp(sH, proof + 48, h) == 0,
                crypto_scalarmult_ed25519_noclamp(cG, c, proof) == 0
            else { return false }
            _ = crypto_core_ed25519_sub(u, sB, cY)
            _ = crypto_core_ed25519_sub(v, sH, cG)
            hashInput[0] = 0x03
            hashInput[1] = 0x02
            memcpy(hashInput + 2, publicKey, 32)
            memcpy(hashInput + 34, h, 32)
            memcpy(hashInput + 66, proof, 32)
            memcpy(hashInput + 98, u, 32)
            memcpy(hashInput + 130, v, 32)
            hashInput[162] = 0
            crypto_hash_sha512(digest, hashInput, 163)
            guard memcmp(digest, proof + 32, 16) == 0 else { return false }
            // proof_to_hash: SHA-512(03 03 8Γ 00).
            _ = crypto_core_ed25519_add(u, proof, proof)
            _ = crypto_core_ed25519_add(u, u, u)
            _ = crypto_core_ed25519_add(u, u, u)
            hashInput[0] = 0x03
            hashInput[1] = 0x03
            memcpy(hashInput + 2, u, 32)
            hashInput[34] = 0
            crypto_hash_sha512(digest, hashInput, 35)
            return true
        }
    }

    // MARK: - libsecp256k1

    /// A raw libsecp256k1 context for the baseline (freed by the caller with `secp256k1Destroy`).
    static func secp256k1Context() -> OpaquePointer {
        let context = secp256k1_context_create(UInt32(aether_secp256k1_context_none))!
        var seed = [UInt8](repeating: 7, count: 32)
        _ = secp256k1_context_randomize(context, &seed)
        return context
    }

    static func secp256k1Destroy(_ context: OpaquePointer) { secp256k1_context_destroy(context) }

    /// A recoverable signature of `hash`, serialised into 64 bytes plus the recovery id.
    @inline(__always)
    static func secp256k1Sign(
        _ context: OpaquePointer, hash: UnsafePointer<UInt8>, secret: UnsafePointer<UInt8>,
        into compact: UnsafeMutablePointer<UInt8>
    ) -> Int32 {
        var signature = secp256k1_ecdsa_recoverable_signature()
        _ = secp256k1_ecdsa_sign_recoverable(context, &signature, hash, secret, nil, nil)
        var recoveryId: Int32 = 0
        _ = secp256k1_ecdsa_recoverable_signature_serialize_compact(context, compact, &recoveryId, &signature)
        return recoveryId
    }

    /// Recovers and serialises (uncompressed) the public key of a compact signature.
    @inline(__always)
    static func secp256k1Recover(
        _ context: OpaquePointer, compact: UnsafePointer<UInt8>, recoveryId: Int32, hash: UnsafePointer<UInt8>,
        into publicKey: UnsafeMutablePointer<UInt8>
    ) -> Bool {
        var signature = secp256k1_ecdsa_recoverable_signature()
        guard secp256k1_ecdsa_recoverable_signature_parse_compact(context, &signature, compact, recoveryId) == 1
        else { return false }
        var key = secp256k1_pubkey()
        guard secp256k1_ecdsa_recover(context, &key, &signature, hash) == 1 else { return false }
        var length = 65
        _ = secp256k1_ec_pubkey_serialize(context, publicKey, &length, &key, UInt32(aether_secp256k1_ec_uncompressed))
        return true
    }

    // MARK: - RocksDB

    /// A RocksDB database opened with the raw C API (WAL on, no sync), for the write baseline.
    final class RawRocksDB {
        let database: OpaquePointer
        let options: OpaquePointer
        let writeOptions: OpaquePointer

        init?(path: String) {
            options = rocksdb_options_create()
            rocksdb_options_set_create_if_missing(options, 1)
            rocksdb_options_increase_parallelism(options, 2)
            var error: UnsafeMutablePointer<CChar>? = nil
            guard let opened = rocksdb_open(options, path, &error) else {
                if let error { rocksdb_free(error) }
                rocksdb_options_destroy(options)
                return nil
            }
            database = opened
            writeOptions = rocksdb_writeoptions_create()
        }

        /// Writes `count` key-value pairs from flat buffers in one batch.
        func writeBatch(
            keys: UnsafePointer<UInt8>, keyLength: Int, values: UnsafePointer<UInt8>, valueLength: Int, count: Int
        ) -> Bool {
            let batch = rocksdb_writebatch_create()
            defer { rocksdb_writebatch_destroy(batch) }
            for index in 0..<count {
                (keys + index * keyLength).withMemoryRebound(to: CChar.self, capacity: keyLength) { key in
                    (values + index * valueLength).withMemoryRebound(to: CChar.self, capacity: valueLength) { value in
                        rocksdb_writebatch_put(batch, key, keyLength, value, valueLength)
                    }
                }
            }
            var error: UnsafeMutablePointer<CChar>? = nil
            rocksdb_write(database, writeOptions, batch, &error)
            if let error {
                rocksdb_free(error)
                return false
            }
            return true
        }

        deinit {
            rocksdb_writeoptions_destroy(writeOptions)
            rocksdb_close(database)
            rocksdb_options_destroy(options)
        }
    }
}
