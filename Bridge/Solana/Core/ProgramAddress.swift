public import Primitives

/// Program-derived addresses: addresses no private key can sign for, which a program controls.
extension SolanaPublicKey {
    /// The domain marker Solana appends to the seeds of a program address.
    static let programAddressMarker = Array("ProgramDerivedAddress".utf8)

    /// `SHA-256(seeds… ‖ program ‖ "ProgramDerivedAddress")` when it is off the Ed25519 curve.
    /// - Throws: `SolanaError.invalidProgramAddress` for more than 16 seeds, a seed over 32 bytes,
    ///   or a hash that lands on the curve (then try another bump).
    public static func programAddress(seeds: [[UInt8]], program: SolanaPublicKey) throws(SolanaError)
        -> SolanaPublicKey
    {
        guard seeds.count <= 16, seeds.allSatisfy({ $0.count <= 32 }) else {
            throw .invalidProgramAddress("at most 16 seeds of at most 32 bytes each")
        }
        let digest = Hashing.sha256(seeds.flatMap { $0 } + program.bytes + programAddressMarker).bytes
        guard !Ed25519.isOnCurve(digest) else { throw .invalidProgramAddress("the address is on the curve") }
        return SolanaPublicKey(validated: digest)
    }

    /// The first program address for `seeds` plus one bump byte, trying 255 down to 0 (Solana's
    /// `find_program_address`), and that bump.
    /// - Throws: `SolanaError.invalidProgramAddress` when the seeds are too many or too long, or no
    ///   bump gives an off-curve address.
    public static func findProgramAddress(seeds: [[UInt8]], program: SolanaPublicKey) throws(SolanaError)
        -> (address: SolanaPublicKey, bump: UInt8)
    {
        guard seeds.count <= 15 else { throw .invalidProgramAddress("at most 15 seeds besides the bump") }
        for bump in (UInt8(0)...255).reversed() {
            if let address = try? programAddress(seeds: seeds + [[bump]], program: program) { return (address, bump) }
        }
        throw .invalidProgramAddress("no bump gives an address off the curve")
    }

    /// The associated token account of `wallet` for `mint` (under the classic SPL Token program).
    public static func associatedTokenAddress(wallet: SolanaPublicKey, mint: SolanaPublicKey) -> SolanaPublicKey {
        // Three 32-byte seeds: always derivable (a bump is found with overwhelming probability).
        try! findProgramAddress(
            seeds: [wallet.bytes, SolanaPublicKey.tokenProgram.bytes, mint.bytes],
            program: .associatedTokenProgram
        ).address
    }
}
