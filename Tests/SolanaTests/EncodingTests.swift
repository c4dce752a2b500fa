import Foundation
import Primitives
import Testing

@testable import Solana

@Suite("Solana encodings")
struct EncodingTests {
    struct Vectors: Decodable {
        struct Base58Case: Decodable {
            let hex: String
            let base58: String
        }
        struct Account: Decodable {
            let key: String
            let signer: Bool
            let writable: Bool
        }
        struct InstructionCase: Decodable {
            let program: String
            let accounts: [Account]
            let data: String
        }
        struct MessageCase: Decodable {
            let payer: String
            let signerSeeds: [String]
            let blockhash: String
            let instructions: [InstructionCase]
            let legacyMessage: String
            let v0Message: String
            let legacyTransaction: String
            let transactionId: String
        }
        let base58: [Base58Case]
        let messages: [MessageCase]
    }

    static let vectors: Vectors = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Vectors/solana/messages.json")
        return try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }()

    @Test("base58 matches solders on 60 values, and refuses bad text")
    func base58() throws {
        for entry in Self.vectors.base58 {
            let bytes = try Hex.decode(entry.hex)
            #expect(Base58.encode(bytes) == entry.base58)
            #expect(try Base58.decode(entry.base58) == bytes)
        }
        #expect(Base58.encode([]) == "")
        #expect(Base58.encode([0, 0]) == "11")
        for bad in ["0", "O", "I", "l", "abc!", "é"] {
            #expect(throws: SolanaError.self) { try Base58.decode(bad) }
        }
        #expect(throws: SolanaError.self) { try SolanaPublicKey(base58: "1111") }
        #expect(SolanaPublicKey.systemProgram.base58 == "11111111111111111111111111111111")
    }

    @Test("compiled legacy and v0 messages and signed transactions match solders byte for byte (40 cases)")
    func messages() throws {
        for (number, entry) in Self.vectors.messages.enumerated() {
            let instructions = try entry.instructions.map { instruction in
                Instruction(
                    programId: try SolanaPublicKey(base58: instruction.program),
                    accounts: try instruction.accounts.map {
                        AccountMeta(try SolanaPublicKey(base58: $0.key), signer: $0.signer, writable: $0.writable)
                    },
                    data: try Hex.decode(instruction.data))
            }
            let payer = try SolanaPublicKey(base58: entry.payer)
            let blockhash = try Base58.decode(entry.blockhash)
            let legacy = try SolanaMessage.compile(payer: payer, instructions: instructions, recentBlockhash: blockhash)
            #expect(Hex.encode(legacy.serialized) == entry.legacyMessage, "case \(number): legacy message")
            let v0 = try SolanaMessage.compile(
                payer: payer, instructions: instructions, recentBlockhash: blockhash, version: .v0)
            #expect(Hex.encode(v0.serialized) == entry.v0Message, "case \(number): v0 message")
            let keys = try entry.signerSeeds.map { try Ed25519.PrivateKey(seed: Hex.decode($0)) }
            let signers = Set(legacy.signers)
            let transaction = try SolanaTransaction(
                message: legacy, keys: keys.filter { signers.contains(SolanaPublicKey($0.publicKey)) })
            #expect(Hex.encode(transaction.serialized) == entry.legacyTransaction, "case \(number): transaction")
            #expect(transaction.id == entry.transactionId)
            #expect(transaction.isFullySigned)
            // Parsing gives the same values back.
            #expect(try SolanaTransaction.parse(transaction.serialized) == transaction)
            var offset = 0
            #expect(try SolanaMessage.parse(v0.serialized, at: &offset) == v0)
        }
    }

    @Test("malformed transactions are refused with a reason, never trap")
    func malformed() throws {
        let entry = Self.vectors.messages[0]
        let bytes = try Hex.decode(entry.legacyTransaction)
        for cut in [0, 1, 64, 65, 70, bytes.count - 1] {
            #expect(throws: SolanaError.self) { try SolanaTransaction.parse(Array(bytes[..<cut])) }
        }
        #expect(throws: SolanaError.self) { try SolanaTransaction.parse(bytes + [0]) }
        #expect(throws: SolanaError.self) { try SolanaTransaction.parse([0x80, 0x80, 0x80, 0x01]) }  // 4-byte length
        #expect(throws: SolanaError.self) { try SolanaTransaction.parse([0x80, 0x00]) }  // non-shortest length
        var tampered = bytes
        tampered[10] ^= 1
        #expect(try !SolanaTransaction.parse(tampered).isFullySigned)
        var random = SeededRandom(seed: 3)
        for _ in 0..<500 {
            _ = try? SolanaTransaction.parse(random.bytes(Int(random.next() % 400)))
        }
    }

    @Test("an Ed25519-program instruction lays out offsets that point at each key, signature and message")
    func ed25519Instruction() throws {
        let keys = (1...3).map { try! Ed25519.PrivateKey(seed: [UInt8](repeating: UInt8($0), count: 32)) }
        let message = Array("aether batch".utf8)
        let checks = keys.map {
            Ed25519Program.Check(publicKey: $0.publicKey.bytes, signature: $0.sign(message).bytes, message: message)
        }
        let data = Ed25519Program.verify(checks).data
        #expect(data[0] == 3)
        for (index, check) in checks.enumerated() {
            let record = Array(data[2 + index * 14..<2 + (index + 1) * 14])
            func u16(_ at: Int) -> Int { Int(record[at]) | Int(record[at + 1]) << 8 }
            #expect(Array(data[u16(0)..<u16(0) + 64]) == check.signature)
            #expect(Array(data[u16(4)..<u16(4) + 32]) == check.publicKey)
            #expect(Array(data[u16(8)..<u16(8) + u16(10)]) == message)
            #expect(u16(2) == 0xffff && u16(6) == 0xffff && u16(12) == 0xffff)
        }
        // The shared message is stored once.
        #expect(data.count == 2 + 3 * 14 + 3 * (32 + 64) + message.count)
    }
}
