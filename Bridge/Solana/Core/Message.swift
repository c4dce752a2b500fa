/// The three counts at the head of a message.
public struct MessageHeader: Hashable, Sendable {
    public let requiredSignatures: UInt8
    public let readonlySigned: UInt8
    public let readonlyUnsigned: UInt8
}

/// An address-lookup-table reference of a v0 message.
public struct AddressTableLookup: Hashable, Sendable {
    public let table: SolanaPublicKey
    public let writableIndexes: [UInt8]
    public let readonlyIndexes: [UInt8]

    public init(table: SolanaPublicKey, writableIndexes: [UInt8], readonlyIndexes: [UInt8]) {
        self.table = table
        self.writableIndexes = writableIndexes
        self.readonlyIndexes = readonlyIndexes
    }
}

/// A Solana message, legacy or version 0: what every signature of a transaction signs.
public struct SolanaMessage: Hashable, Sendable {
    public enum Version: Hashable, Sendable { case legacy, v0 }

    public let version: Version
    public let header: MessageHeader
    public let accountKeys: [SolanaPublicKey]
    public let recentBlockhash: [UInt8]
    public let instructions: [CompiledInstruction]
    /// Always empty for legacy messages.
    public let addressTableLookups: [AddressTableLookup]

    public init(
        version: Version, header: MessageHeader, accountKeys: [SolanaPublicKey], recentBlockhash: [UInt8],
        instructions: [CompiledInstruction], addressTableLookups: [AddressTableLookup] = []
    ) throws(SolanaError) {
        guard recentBlockhash.count == 32 else {
            throw .invalidLength(what: "a blockhash", expected: 32, actual: recentBlockhash.count)
        }
        guard version == .v0 || addressTableLookups.isEmpty else {
            throw .malformed("a legacy message has no address table lookups")
        }
        guard accountKeys.count <= 256 else { throw .limit("a message names at most 256 accounts") }
        let signers = Int(header.requiredSignatures)
        guard signers >= 1, signers <= accountKeys.count,
            Int(header.readonlySigned) < signers,  // the fee payer is a writable signer
            Int(header.readonlyUnsigned) <= accountKeys.count - signers
        else { throw .malformed("the header's counts do not fit the \(accountKeys.count) account keys") }
        let lookedUp = addressTableLookups.reduce(0) { $0 + $1.writableIndexes.count + $1.readonlyIndexes.count }
        for instruction in instructions {
            let total = accountKeys.count + lookedUp
            guard Int(instruction.programIdIndex) < accountKeys.count,
                instruction.accountIndices.allSatisfy({ Int($0) < total })
            else { throw .malformed("an instruction refers to an account the message does not have") }
        }
        self.version = version
        self.header = header
        self.accountKeys = accountKeys
        self.recentBlockhash = recentBlockhash
        self.instructions = instructions
        self.addressTableLookups = addressTableLookups
    }

    /// Compiles `instructions` paid for by `payer` (Solana's account ordering: the payer, then
    /// writable signers, read-only signers, writable and read-only others, each group in ascending
    /// key order; a key keeps the strongest role any instruction gives it).
    public static func compile(
        payer: SolanaPublicKey, instructions: [Instruction], recentBlockhash: [UInt8], version: Version = .legacy
    ) throws(SolanaError) -> SolanaMessage {
        var roles: [SolanaPublicKey: (signer: Bool, writable: Bool)] = [payer: (true, true)]
        for instruction in instructions {
            roles[instruction.programId, default: (false, false)] = roles[instruction.programId] ?? (false, false)
            for account in instruction.accounts {
                let old = roles[account.key] ?? (false, false)
                roles[account.key] = (old.signer || account.isSigner, old.writable || account.isWritable)
            }
        }
        let others = roles.keys.filter { $0 != payer }.sorted()
        let writableSigners = others.filter { roles[$0]!.signer && roles[$0]!.writable }
        let readonlySigners = others.filter { roles[$0]!.signer && !roles[$0]!.writable }
        let writableOthers = others.filter { !roles[$0]!.signer && roles[$0]!.writable }
        let readonlyOthers = others.filter { !roles[$0]!.signer && !roles[$0]!.writable }
        let keys = [payer] + writableSigners + readonlySigners + writableOthers + readonlyOthers
        guard keys.count <= 256 else { throw .limit("a message names at most 256 accounts, not \(keys.count)") }
        var index: [SolanaPublicKey: UInt8] = [:]
        for (position, key) in keys.enumerated() { index[key] = UInt8(position) }
        let compiled = instructions.map { instruction in
            CompiledInstruction(
                programIdIndex: index[instruction.programId]!,
                accountIndices: instruction.accounts.map { index[$0.key]! },
                data: instruction.data)
        }
        let header = MessageHeader(
            requiredSignatures: UInt8(1 + writableSigners.count + readonlySigners.count),
            readonlySigned: UInt8(readonlySigners.count), readonlyUnsigned: UInt8(readonlyOthers.count))
        return try SolanaMessage(
            version: version, header: header, accountKeys: keys, recentBlockhash: recentBlockhash,
            instructions: compiled)
    }

    /// The signers, in signature order.
    public var signers: ArraySlice<SolanaPublicKey> { accountKeys.prefix(Int(header.requiredSignatures)) }

    /// The wire bytes (what is signed).
    public var serialized: [UInt8] {
        var out: [UInt8] = []
        if version == .v0 { out.append(0x80) }
        out += [header.requiredSignatures, header.readonlySigned, header.readonlyUnsigned]
        CompactU16.append(accountKeys.count, to: &out)
        for key in accountKeys { out += key.bytes }
        out += recentBlockhash
        CompactU16.append(instructions.count, to: &out)
        for instruction in instructions {
            out.append(instruction.programIdIndex)
            CompactU16.append(instruction.accountIndices.count, to: &out)
            out += instruction.accountIndices
            CompactU16.append(instruction.data.count, to: &out)
            out += instruction.data
        }
        if version == .v0 {
            CompactU16.append(addressTableLookups.count, to: &out)
            for lookup in addressTableLookups {
                out += lookup.table.bytes
                CompactU16.append(lookup.writableIndexes.count, to: &out)
                out += lookup.writableIndexes
                CompactU16.append(lookup.readonlyIndexes.count, to: &out)
                out += lookup.readonlyIndexes
            }
        }
        return out
    }

    /// Parses a message from `bytes` at `offset` (advanced past it).
    public static func parse(_ bytes: [UInt8], at offset: inout Int) throws(SolanaError) -> SolanaMessage {
        func byte() throws(SolanaError) -> UInt8 {
            guard offset < bytes.count else { throw .malformed("the message ends early at byte \(offset)") }
            defer { offset += 1 }
            return bytes[offset]
        }
        func take(_ count: Int) throws(SolanaError) -> [UInt8] {
            guard count <= bytes.count - offset else { throw .malformed("the message ends early at byte \(offset)") }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }
        var version = Version.legacy
        var first = try byte()
        if first & 0x80 != 0 {
            guard first == 0x80 else { throw .malformed("message version \(first & 0x7f) is not supported") }
            version = .v0
            first = try byte()
        }
        let header = MessageHeader(requiredSignatures: first, readonlySigned: try byte(), readonlyUnsigned: try byte())
        let keyCount = try CompactU16.read(bytes, at: &offset)
        var keys: [SolanaPublicKey] = []
        for _ in 0..<keyCount { keys.append(SolanaPublicKey(validated: try take(32))) }
        let blockhash = try take(32)
        let instructionCount = try CompactU16.read(bytes, at: &offset)
        var instructions: [CompiledInstruction] = []
        for _ in 0..<instructionCount {
            let program = try byte()
            let accounts = try take(try CompactU16.read(bytes, at: &offset))
            let data = try take(try CompactU16.read(bytes, at: &offset))
            instructions.append(CompiledInstruction(programIdIndex: program, accountIndices: accounts, data: data))
        }
        var lookups: [AddressTableLookup] = []
        if version == .v0 {
            for _ in 0..<(try CompactU16.read(bytes, at: &offset)) {
                let table = SolanaPublicKey(validated: try take(32))
                let writable = try take(try CompactU16.read(bytes, at: &offset))
                let readonly = try take(try CompactU16.read(bytes, at: &offset))
                lookups.append(AddressTableLookup(table: table, writableIndexes: writable, readonlyIndexes: readonly))
            }
        }
        return try SolanaMessage(
            version: version, header: header, accountKeys: keys, recentBlockhash: blockhash, instructions: instructions,
            addressTableLookups: lookups)
    }
}
