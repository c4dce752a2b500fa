extension Hashing {
    /// Unkeyed BLAKE2b with a 64-byte digest (RFC 7693); ICS-23's `BLAKE2B_512` hash operation.
    ///
    /// Computed by libsodium (`crypto_generichash`), through the `Sodium` wrapper.
    public static func blake2b512(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { blake2b512($0) }
    }

    /// Unkeyed BLAKE2b-512 of the bytes in `buffer` (64 bytes).
    public static func blake2b512(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        Sodium.blake2b(buffer, length: 64)
    }
}
