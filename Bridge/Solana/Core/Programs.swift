/// Instructions of the native programs settlement uses.
public enum SystemProgram {
    /// `Transfer { lamports }` (instruction 2) from `from` (signs) to `to`.
    public static func transfer(from: SolanaPublicKey, to: SolanaPublicKey, lamports: UInt64) -> Instruction {
        Instruction(
            programId: .systemProgram,
            accounts: [
                AccountMeta(from, signer: true, writable: true), AccountMeta(to, signer: false, writable: true),
            ],
            data: littleEndian(UInt32(2)) + littleEndian(lamports))
    }

    /// `CreateAccount { lamports, space, owner }` (instruction 0): `from` funds a new account that
    /// signs for its own creation.
    public static func createAccount(
        from: SolanaPublicKey, new: SolanaPublicKey, lamports: UInt64, space: UInt64, owner: SolanaPublicKey
    ) -> Instruction {
        Instruction(
            programId: .systemProgram,
            accounts: [
                AccountMeta(from, signer: true, writable: true), AccountMeta(new, signer: true, writable: true),
            ],
            data: littleEndian(UInt32(0)) + littleEndian(lamports) + littleEndian(space) + owner.bytes)
    }

    /// The size of a nonce account.
    public static let nonceAccountSize: UInt64 = 80

    /// `InitializeNonceAccount { authority }` (instruction 6), after `createAccount` of
    /// `nonceAccountSize` bytes owned by the system program.
    public static func initializeNonce(account: SolanaPublicKey, authority: SolanaPublicKey) -> Instruction {
        Instruction(
            programId: .systemProgram,
            accounts: [
                AccountMeta(account, signer: false, writable: true),
                AccountMeta(.recentBlockhashesSysvar, signer: false, writable: false),
                AccountMeta(.rentSysvar, signer: false, writable: false),
            ],
            data: littleEndian(UInt32(6)) + authority.bytes)
    }

    /// `AdvanceNonceAccount` (instruction 4): first in a durable-nonce transaction.
    public static func advanceNonce(account: SolanaPublicKey, authority: SolanaPublicKey) -> Instruction {
        Instruction(
            programId: .systemProgram,
            accounts: [
                AccountMeta(account, signer: false, writable: true),
                AccountMeta(.recentBlockhashesSysvar, signer: false, writable: false),
                AccountMeta(authority, signer: true, writable: false),
            ],
            data: littleEndian(UInt32(4)))
    }
}

/// A durable-nonce account's state (system-owned, 80 bytes): its authority and the stored nonce,
/// the "recent blockhash" of the transaction signed ahead against it.
public struct NonceAccount: Hashable, Sendable {
    public let authority: SolanaPublicKey
    public let nonce: [UInt8]

    /// Parses an initialized nonce account's data (version u32, state u32 = 1, authority, nonce,
    /// fee calculator).
    /// - Throws: `SolanaError.malformed` for other data or an uninitialized account.
    public init(data: [UInt8]) throws(SolanaError) {
        guard data.count == Int(SystemProgram.nonceAccountSize) else {
            throw .malformed("a nonce account holds 80 bytes, not \(data.count)")
        }
        guard data[4..<8] == [1, 0, 0, 0] else { throw .malformed("the nonce account is not initialized") }
        authority = SolanaPublicKey(validated: Array(data[8..<40]))
        nonce = Array(data[40..<72])
    }
}

/// The SPL Token program (classic): the instructions a committee-held vault needs.
public enum TokenProgram {
    /// The size of a multisig account.
    public static let multisigSize: UInt64 = 355
    /// The size of a mint.
    public static let mintSize: UInt64 = 82
    /// The most signers a multisig may list.
    public static let maxSigners = 11

    /// `InitializeMint2 { decimals, mint_authority, freeze_authority }` (instruction 20).
    public static func initializeMint(
        mint: SolanaPublicKey, decimals: UInt8, authority: SolanaPublicKey, freezeAuthority: SolanaPublicKey? = nil
    ) -> Instruction {
        Instruction(
            programId: .tokenProgram, accounts: [AccountMeta(mint, signer: false, writable: true)],
            data: [20, decimals] + authority.bytes + (freezeAuthority.map { [1] + $0.bytes } ?? [0]))
    }

    /// `InitializeMultisig2 { m }` (instruction 19): `m` of the `signers` (1…11, m ≤ signers).
    /// - Throws: `SolanaError.limit` for other counts.
    public static func initializeMultisig(multisig: SolanaPublicKey, m: UInt8, signers: [SolanaPublicKey])
        throws(SolanaError) -> Instruction
    {
        guard (1...maxSigners).contains(signers.count), m >= 1, Int(m) <= signers.count else {
            throw .limit("a multisig needs 1…\(maxSigners) signers and 1 ≤ m ≤ signers, got \(m) of \(signers.count)")
        }
        return Instruction(
            programId: .tokenProgram,
            accounts: [AccountMeta(multisig, signer: false, writable: true)]
                + signers.map { AccountMeta($0, signer: false, writable: false) },
            data: [19, m])
    }

    /// `MintTo { amount }` (instruction 7), by a single mint authority.
    public static func mintTo(
        mint: SolanaPublicKey, to account: SolanaPublicKey, authority: SolanaPublicKey, amount: UInt64
    )
        -> Instruction
    {
        Instruction(
            programId: .tokenProgram,
            accounts: [
                AccountMeta(mint, signer: false, writable: true), AccountMeta(account, signer: false, writable: true),
                AccountMeta(authority, signer: true, writable: false),
            ],
            data: [7] + littleEndian(amount))
    }

    /// `TransferChecked { amount, decimals }` (instruction 12) from `source`, owned by `owner`: a
    /// single owner signs; a multisig owner does not, its `signers` (at least m of them) do.
    public static func transferChecked(
        source: SolanaPublicKey, mint: SolanaPublicKey, destination: SolanaPublicKey, owner: SolanaPublicKey,
        signers: [SolanaPublicKey] = [], amount: UInt64, decimals: UInt8
    ) -> Instruction {
        Instruction(
            programId: .tokenProgram,
            accounts: [
                AccountMeta(source, signer: false, writable: true), AccountMeta(mint, signer: false, writable: false),
                AccountMeta(destination, signer: false, writable: true),
                AccountMeta(owner, signer: signers.isEmpty, writable: false),
            ] + signers.map { AccountMeta($0, signer: true, writable: false) },
            data: [12] + littleEndian(amount) + [decimals])
    }
}

/// The SPL Associated Token Account program.
public enum AssociatedTokenProgram {
    /// `CreateIdempotent` (instruction 1): creates `wallet`'s token account for `mint` at its
    /// associated address, paid by `payer`, or does nothing if it exists.
    public static func createIdempotent(payer: SolanaPublicKey, wallet: SolanaPublicKey, mint: SolanaPublicKey)
        -> Instruction
    {
        Instruction(
            programId: .associatedTokenProgram,
            accounts: [
                AccountMeta(payer, signer: true, writable: true),
                AccountMeta(.associatedTokenAddress(wallet: wallet, mint: mint), signer: false, writable: true),
                AccountMeta(wallet, signer: false, writable: false), AccountMeta(mint, signer: false, writable: false),
                AccountMeta(.systemProgram, signer: false, writable: false),
                AccountMeta(.tokenProgram, signer: false, writable: false),
            ],
            data: [1])
    }
}

/// The SPL Memo program: UTF-8 text recorded in the transaction's log.
public enum MemoProgram {
    public static func memo(_ text: String, signers: [SolanaPublicKey] = []) -> Instruction {
        Instruction(
            programId: .memoProgram, accounts: signers.map { AccountMeta($0, signer: true, writable: false) },
            data: Array(text.utf8))
    }
}

/// The Ed25519 signature-verification precompile: a transaction carrying this instruction fails
/// unless every listed signature verifies.
public enum Ed25519Program {
    /// One signature to check: the signer's key, the 64-byte signature and the message.
    public struct Check: Sendable, Hashable {
        public let publicKey: [UInt8]
        public let signature: [UInt8]
        public let message: [UInt8]

        public init(publicKey: [UInt8], signature: [UInt8], message: [UInt8]) {
            self.publicKey = publicKey
            self.signature = signature
            self.message = message
        }
    }

    /// The offsets record is 14 bytes; the header 2.
    static let offsetsSize = 14

    /// One instruction verifying `checks`, all data inside the instruction itself. Each check's
    /// key, signature and message are laid out after the offsets table; a message shared by
    /// several checks (a batch root all members sign) is stored once.
    public static func verify(_ checks: [Check]) -> Instruction {
        precondition(!checks.isEmpty && checks.count <= 255, "1...255 signatures per instruction")
        var data: [UInt8] = [UInt8(checks.count), 0]
        let tableEnd = 2 + checks.count * offsetsSize
        var payload: [UInt8] = []
        var messageOffsets: [[UInt8]: Int] = [:]
        var records: [[UInt8]] = []
        for check in checks {
            let keyOffset = tableEnd + payload.count
            payload += check.publicKey
            let signatureOffset = tableEnd + payload.count
            payload += check.signature
            let messageOffset: Int
            if let existing = messageOffsets[check.message] {
                messageOffset = existing
            } else {
                messageOffset = tableEnd + payload.count
                payload += check.message
                messageOffsets[check.message] = messageOffset
            }
            let thisInstruction = UInt16.max
            records.append(
                littleEndian(UInt16(signatureOffset)) + littleEndian(thisInstruction) + littleEndian(UInt16(keyOffset))
                    + littleEndian(thisInstruction) + littleEndian(UInt16(messageOffset))
                    + littleEndian(UInt16(check.message.count)) + littleEndian(thisInstruction))
        }
        for record in records { data += record }
        data += payload
        return Instruction(programId: .ed25519Program, accounts: [], data: data)
    }
}

func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}
