/// An account an instruction reads or writes, and whether it must sign.
public struct AccountMeta: Hashable, Sendable {
    public let key: SolanaPublicKey
    public let isSigner: Bool
    public let isWritable: Bool

    public init(_ key: SolanaPublicKey, signer: Bool, writable: Bool) {
        self.key = key
        self.isSigner = signer
        self.isWritable = writable
    }
}

/// A program call before compilation into a message.
public struct Instruction: Hashable, Sendable {
    public let programId: SolanaPublicKey
    public let accounts: [AccountMeta]
    public let data: [UInt8]

    public init(programId: SolanaPublicKey, accounts: [AccountMeta], data: [UInt8]) {
        self.programId = programId
        self.accounts = accounts
        self.data = data
    }
}

/// An instruction inside a message: indices into the message's account keys.
public struct CompiledInstruction: Hashable, Sendable {
    public let programIdIndex: UInt8
    public let accountIndices: [UInt8]
    public let data: [UInt8]

    public init(programIdIndex: UInt8, accountIndices: [UInt8], data: [UInt8]) {
        self.programIdIndex = programIdIndex
        self.accountIndices = accountIndices
        self.data = data
    }
}
