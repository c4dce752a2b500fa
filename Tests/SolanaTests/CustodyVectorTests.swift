import Foundation
import Primitives
import Solana
import Testing

/// The custody builders (program-derived and associated token addresses, SPL Token, associated
/// token and system-nonce instructions) against what solders and solana-py's spl.token make for
/// the same seeded inputs (`Tests/Vectors/solana/custody.json`, `generate_custody.py`).
@Suite("Solana custody builders against solders and spl.token")
struct CustodyVectorTests {
    struct Vectors: Decodable {
        struct ProgramAddressCase: Decodable {
            let seeds: [String]
            let program: String
            let address: String
            let bump: UInt8
        }
        struct AssociatedCase: Decodable {
            let wallet: String
            let mint: String
            let address: String
        }
        struct Account: Decodable {
            let key: String
            let signer: Bool
            let writable: Bool
        }
        struct Built: Decodable {
            let program: String
            let accounts: [Account]
            let data: String
        }
        struct InstructionCase: Decodable {
            let kind: String
            let inputs: [String: Input]
            let instruction: Built
        }
        enum Input: Decodable {
            case text(String)
            case number(UInt64)
            case list([String])

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(UInt64.self) {
                    self = .number(number)
                } else if let text = try? container.decode(String.self) {
                    self = .text(text)
                } else {
                    self = .list(try container.decode([String].self))
                }
            }
        }
        let programAddresses: [ProgramAddressCase]
        let associatedTokenAddresses: [AssociatedCase]
        let instructions: [InstructionCase]
    }

    static let vectors: Vectors = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Vectors/solana/custody.json")
        return try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }()

    @Test("program-derived addresses and bumps match solders on 60 seed sets; associated token addresses on 20")
    func addresses() throws {
        for vector in Self.vectors.programAddresses {
            let found = try SolanaPublicKey.findProgramAddress(
                seeds: try vector.seeds.map { try Hex.decode($0) }, program: try SolanaPublicKey(base58: vector.program)
            )
            #expect(found.address.base58 == vector.address && found.bump == vector.bump, "\(vector)")
        }
        for vector in Self.vectors.associatedTokenAddresses {
            let address = SolanaPublicKey.associatedTokenAddress(
                wallet: try SolanaPublicKey(base58: vector.wallet), mint: try SolanaPublicKey(base58: vector.mint))
            #expect(address.base58 == vector.address)
        }
        #expect(Self.vectors.programAddresses.count == 60)
        #expect(throws: SolanaError.self) {
            try SolanaPublicKey.programAddress(seeds: [[UInt8](repeating: 1, count: 33)], program: .systemProgram)
        }
    }

    @Test("system nonce, SPL Token and associated-token instructions match spl.token and solders byte for byte")
    func instructions() throws {
        func key(_ inputs: [String: Vectors.Input], _ name: String) throws -> SolanaPublicKey {
            guard case .text(let text)? = inputs[name] else { throw SolanaError.malformed("no \(name)") }
            return try SolanaPublicKey(base58: text)
        }
        func number(_ inputs: [String: Vectors.Input], _ name: String) throws -> UInt64 {
            guard case .number(let value)? = inputs[name] else { throw SolanaError.malformed("no \(name)") }
            return value
        }
        func keys(_ inputs: [String: Vectors.Input], _ name: String) throws -> [SolanaPublicKey] {
            switch inputs[name] {
            case .list(let texts)?: return try texts.map { try SolanaPublicKey(base58: $0) }
            default: return []
            }
        }
        var kinds: Set<String> = []
        for vector in Self.vectors.instructions {
            let inputs = vector.inputs
            let built: Instruction
            switch vector.kind {
            case "createAccount":
                built = SystemProgram.createAccount(
                    from: try key(inputs, "from"), new: try key(inputs, "new"),
                    lamports: try number(inputs, "lamports"),
                    space: try number(inputs, "space"), owner: try key(inputs, "owner"))
            case "initializeNonce":
                built = SystemProgram.initializeNonce(
                    account: try key(inputs, "account"), authority: try key(inputs, "authority"))
            case "advanceNonce":
                built = SystemProgram.advanceNonce(
                    account: try key(inputs, "account"), authority: try key(inputs, "authority"))
            case "initializeMultisig":
                built = try TokenProgram.initializeMultisig(
                    multisig: try key(inputs, "multisig"), m: UInt8(try number(inputs, "m")),
                    signers: try keys(inputs, "signers"))
            case "mintTo":
                built = TokenProgram.mintTo(
                    mint: try key(inputs, "mint"), to: try key(inputs, "to"), authority: try key(inputs, "authority"),
                    amount: try number(inputs, "amount"))
            case "transferChecked", "transferCheckedSingleOwner":
                built = TokenProgram.transferChecked(
                    source: try key(inputs, "source"), mint: try key(inputs, "mint"),
                    destination: try key(inputs, "destination"), owner: try key(inputs, "owner"),
                    signers: try keys(inputs, "signers"), amount: try number(inputs, "amount"),
                    decimals: UInt8(try number(inputs, "decimals")))
            case "createIdempotent":
                built = AssociatedTokenProgram.createIdempotent(
                    payer: try key(inputs, "payer"), wallet: try key(inputs, "wallet"), mint: try key(inputs, "mint"))
            default:
                Issue.record("unknown kind \(vector.kind)")
                continue
            }
            kinds.insert(vector.kind)
            let expected = vector.instruction
            #expect(built.programId.base58 == expected.program, "\(vector.kind)")
            #expect(built.data == (try Hex.decode(expected.data)), "\(vector.kind)")
            #expect(
                built.accounts.map { "\($0.key.base58) \($0.isSigner) \($0.isWritable)" }
                    == expected.accounts.map { "\($0.key) \($0.signer) \($0.writable)" }, "\(vector.kind)")
        }
        #expect(kinds.count == 8)
        #expect(throws: SolanaError.self) {
            try TokenProgram.initializeMultisig(
                multisig: .systemProgram, m: 3, signers: [.systemProgram, .tokenProgram])
        }
    }

    @Test("a nonce account's stored nonce and authority are read; other data is refused")
    func nonceAccount() throws {
        let authority = try SolanaPublicKey(base58: "2EuuTqQwTUXxpAT64Nu72CxbXRoap5dhrcZLJWi4JS9e")
        let nonce = [UInt8](repeating: 7, count: 32)
        let data: [UInt8] = [1, 0, 0, 0, 1, 0, 0, 0] + authority.bytes + nonce + [0x88, 0x13, 0, 0, 0, 0, 0, 0]
        let account = try NonceAccount(data: data)
        #expect(account.authority == authority && account.nonce == nonce)
        #expect(throws: SolanaError.self) { try NonceAccount(data: Array(data.dropLast())) }
        var uninitialized = data
        uninitialized[4] = 0
        #expect(throws: SolanaError.self) { try NonceAccount(data: uninitialized) }
    }
}
