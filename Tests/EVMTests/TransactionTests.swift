import Foundation
import Primitives
import Testing

@testable import EVM

@Suite("Transactions")
struct TransactionTests {
    // MARK: - The example in the EIP-155 text

    static let eip155Key = try! Secp256k1.PrivateKey([UInt8](repeating: 0x46, count: 32))
    static let eip155Transaction = LegacyTransaction(
        nonce: 9, gasPrice: UInt256(20_000_000_000), gasLimit: 21_000,
        to: try! EthereumAddress([UInt8](repeating: 0x35, count: 20)), value: UInt256(1_000_000_000_000_000_000),
        chainId: 1)

    @Test("EIP-155 example: signing payload, signing hash and signed raw transaction")
    func eip155Example() throws {
        let transaction = Self.eip155Transaction
        #expect(
            Hex.encode(transaction.signingPayload)
                == "ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080")
        #expect(transaction.signingHash.hex == "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53")
        let signed = transaction.signed(with: Self.eip155Key)
        #expect(
            Hex.encode(signed.rawEncoding)
                == "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"
        )
        let decoded = try SignedTransaction.decode(raw: signed.rawEncoding)
        #expect(decoded == signed)
        #expect(try decoded.sender() == Self.eip155Key.publicKey.ethereumAddress)
    }

    // MARK: - eth-account cross-check (every JSON file in Tests/Vectors/evm)

    @Test("every eth-account transaction in Tests/Vectors/evm matches byte for byte")
    func ethAccountVectors() throws {
        let files = try Vectors.jsonFiles(in: "evm")
        try #require(!files.isEmpty, "no vector files in Tests/Vectors/evm")
        var checked = 0
        var covered: Set<String> = []
        for file in files {
            let document = try Vectors.decode(EthAccountDocument.self, from: file)
            for (index, vector) in document.transactions.enumerated() {
                let context = "\(file.lastPathComponent) #\(index) (\(vector.kind))"
                let key = try Secp256k1.PrivateKey(Hex.decode(vector.privateKey))
                let transaction = try vector.transaction()
                #expect(transaction.signingHash.hex == vector.signingHash, "signing hash: \(context)")
                let signed: SignedTransaction
                switch transaction {
                case .legacy(let legacy): signed = legacy.signed(with: key)
                case .eip1559(let typed): signed = typed.signed(with: key)
                }
                #expect(Hex.encode(signed.rawEncoding) == vector.raw, "raw encoding: \(context)")
                #expect(signed.hash.hex == vector.hash, "hash: \(context)")
                let decoded = try SignedTransaction.decode(raw: Hex.decode(vector.raw))
                #expect(decoded == signed, "decoded: \(context)")
                #expect(try decoded.sender().checksummed == vector.sender, "sender: \(context)")
                checked += 1
                covered.insert(vector.kind)
                if vector.to == nil { covered.insert("creation") }
                if !(vector.accessList ?? []).isEmpty { covered.insert("access list") }
                if vector.data.count > 2 * 55 { covered.insert("long data") }
            }
        }
        #expect(checked >= 50)
        // The file must reach the cases the encoding distinguishes, or it proves little.
        #expect(covered == ["legacy", "eip1559", "creation", "access list", "long data"])
    }

    // MARK: - EIP-1559 structure

    @Test("EIP-1559 with an access list and contract creation round-trips and recovers its sender")
    func eip1559RoundTrip() throws {
        let key = try Secp256k1.PrivateKey([UInt8](repeating: 0x07, count: 32))
        let slot = try Hash(hex: String(repeating: "ab", count: 32))
        for to in [nil, Self.eip155Transaction.to] {
            let transaction = EIP1559Transaction(
                chainId: 11_155_111, nonce: 0, maxPriorityFeePerGas: UInt256(1_500_000_000),
                maxFeePerGas: try UInt256(hex: "0x1d1a94a2000"), gasLimit: 90_000, to: to, value: .zero,
                data: [UInt8](repeating: 0x60, count: 100),
                accessList: [
                    AccessListEntry(address: key.publicKey.ethereumAddress, storageKeys: [slot, .zero]),
                    AccessListEntry(address: try EthereumAddress([UInt8](repeating: 1, count: 20))),
                ])
            let signed = transaction.signed(with: key)
            #expect(signed.rawEncoding.first == 0x02)
            #expect(transaction.signingPayload.first == 0x02)
            let decoded = try SignedTransaction.decode(raw: signed.rawEncoding)
            #expect(decoded == signed)
            #expect(decoded.rawEncoding == signed.rawEncoding)
            #expect(try decoded.sender() == key.publicKey.ethereumAddress)
        }
    }

    // MARK: - Refusals on decode

    @Test("pre-EIP-155, high-s, trailing bytes, other types and bad yParity are refused")
    func decodingRefusals() throws {
        let signed = Self.eip155Transaction.signed(with: Self.eip155Key)
        let fields = try #require(RLPItem.decode(signed.rawEncoding).listItems)

        var unprotected = fields
        unprotected[6] = RLPItem(UInt64(27))
        #expect(throws: TransactionError.missingChainId) {
            try SignedTransaction.decode(raw: RLPItem.list(unprotected).encoded)
        }

        var badV = fields
        badV[6] = RLPItem(UInt64(30))
        #expect(throws: TransactionError.invalidV) { try SignedTransaction.decode(raw: RLPItem.list(badV).encoded) }

        // s' = n − s is the malleated twin of the same signature; EIP-2 forbids it.
        let order = try UInt256(hex: "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
        let highS = subtract(order, try fields[8].uint256Value())
        var malleated = fields
        malleated[8] = RLPItem(highS)
        malleated[6] = RLPItem(UInt64(38))
        #expect(throws: TransactionError.highS) { try SignedTransaction.decode(raw: RLPItem.list(malleated).encoded) }

        var zeroPadded = fields
        zeroPadded[0] = .bytes([0x00, 0x09])
        #expect(throws: TransactionError.malformed(.integerHasLeadingZero)) {
            try SignedTransaction.decode(raw: RLPItem.list(zeroPadded).encoded)
        }

        #expect(throws: TransactionError.malformed(.trailingBytes(count: 1))) {
            try SignedTransaction.decode(raw: signed.rawEncoding + [0x00])
        }
        #expect(throws: TransactionError.malformed(.wrongItemCount(expected: 9, actual: 8))) {
            try SignedTransaction.decode(raw: RLPItem.list(Array(fields.dropLast())).encoded)
        }
        #expect(throws: TransactionError.unsupportedType(0x01)) { try SignedTransaction.decode(raw: [0x01, 0xc0]) }
        #expect(throws: TransactionError.empty) { try SignedTransaction.decode(raw: []) }

        let typed = EIP1559Transaction(
            chainId: 1, nonce: 1, maxPriorityFeePerGas: 1, maxFeePerGas: 2, gasLimit: 21_000, to: nil, value: 0
        ).signed(with: Self.eip155Key)
        var typedFields = try #require(RLPItem.decode(Array(typed.rawEncoding.dropFirst())).listItems)
        typedFields[9] = RLPItem(UInt64(2))
        #expect(throws: TransactionError.invalidV) {
            try SignedTransaction.decode(raw: [0x02] + RLPItem.list(typedFields).encoded)
        }
    }

    @Test("v carries chain ids up to 2^64 − 1 without overflow")
    func largeChainIds() throws {
        for chainId in [UInt64(1), 1337, UInt64.max / 2, UInt64.max] {
            for recoveryId in [UInt8(0), 1] {
                let v = LegacyTransaction.v(recoveryId: recoveryId, chainId: chainId)
                let split = try LegacyTransaction.split(v: v)
                #expect(split.recoveryId == recoveryId && split.chainId == chainId)
            }
        }
    }

    /// `a − b` for `a ≥ b`, by 64-bit limbs (test helper: the library has no subtraction).
    private func subtract(_ a: UInt256, _ b: UInt256) -> UInt256 {
        let x = [a.limbs.0, a.limbs.1, a.limbs.2, a.limbs.3]
        let y = [b.limbs.0, b.limbs.1, b.limbs.2, b.limbs.3]
        var out = [UInt64](repeating: 0, count: 4)
        var borrow: UInt64 = 0
        for index in (0..<4).reversed() {
            let (first, overflowOne) = x[index].subtractingReportingOverflow(y[index])
            let (second, overflowTwo) = first.subtractingReportingOverflow(borrow)
            out[index] = second
            borrow = overflowOne || overflowTwo ? 1 : 0
        }
        return UInt256(limbs: (out[0], out[1], out[2], out[3]))
    }
}

// MARK: - The eth-account vector file

/// `eth-account-transactions.json`, written by `Tests/Vectors/evm/generate.py`.
struct EthAccountDocument: Decodable {
    let source: String
    let transactions: [EthAccountTransaction]
}

/// One transaction signed by eth-account; integers are hex strings so no JSON number loses bits.
struct EthAccountTransaction: Decodable {
    struct Entry: Decodable {
        let address: String
        let storageKeys: [String]
    }

    let kind: String
    let privateKey: String
    let chainId: String
    let nonce: String
    let gasLimit: String
    let to: String?
    let value: String
    let data: String
    let signingHash: String
    let raw: String
    let hash: String
    let sender: String
    let gasPrice: String?
    let maxFeePerGas: String?
    let maxPriorityFeePerGas: String?
    let accessList: [Entry]?

    enum CodingKeys: String, CodingKey {
        case kind, nonce, to, value, data, raw, hash, sender
        case privateKey = "private_key", chainId = "chain_id", gasLimit = "gas_limit", signingHash = "signing_hash"
        case gasPrice = "gas_price", maxFeePerGas = "max_fee_per_gas"
        case maxPriorityFeePerGas = "max_priority_fee_per_gas", accessList = "access_list"
    }

    /// The unsigned transaction the fields describe.
    func transaction() throws -> EthereumTransaction {
        let recipient = try to.map { try EthereumAddress(parsing: $0) }
        let chain = try uint64(chainId)
        switch kind {
        case "legacy":
            return .legacy(
                LegacyTransaction(
                    nonce: try uint64(nonce), gasPrice: try UInt256(hex: gasPrice ?? ""),
                    gasLimit: try uint64(gasLimit),
                    to: recipient, value: try UInt256(hex: value), data: try Hex.decode(data), chainId: chain))
        default:
            let entries = try (accessList ?? []).map { entry in
                AccessListEntry(
                    address: try EthereumAddress(parsing: entry.address),
                    storageKeys: try entry.storageKeys.map { try Hash(hex: $0) })
            }
            return .eip1559(
                EIP1559Transaction(
                    chainId: chain, nonce: try uint64(nonce),
                    maxPriorityFeePerGas: try UInt256(hex: maxPriorityFeePerGas ?? ""),
                    maxFeePerGas: try UInt256(hex: maxFeePerGas ?? ""), gasLimit: try uint64(gasLimit), to: recipient,
                    value: try UInt256(hex: value), data: try Hex.decode(data), accessList: entries))
        }
    }

    private func uint64(_ hex: String) throws -> UInt64 {
        try #require(UInt256(hex: hex).exactUInt64)
    }
}
