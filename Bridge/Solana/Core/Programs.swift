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
