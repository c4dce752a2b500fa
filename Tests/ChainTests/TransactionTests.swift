import Chain
import Primitives
import Testing

/// The RFC 8032 §7.1 test 1 key: its public key is known, so the golden values below were computed
/// independently (Python's hashlib for SHA-256, OpenSSL for the Ed25519 signature).
private let rfcSeed = [UInt8](hexLiteral: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
private let rfcPublicKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

private func goldenTransaction() throws -> Transaction {
    let key = try Ed25519.PrivateKey(seed: rfcSeed)
    let recipient = try Address([UInt8](repeating: 0x11, count: 20))
    return Transaction(
        chainId: "aether-test", sender: key.publicKey, nonce: 7, maxFee: 1000, priorityFee: 5,
        messages: [Message(Bank.Transfer(to: recipient, 250, .aic))])
}

@Suite("Transactions")
struct TransactionTests {
    @Test("a transaction encodes to its golden bytes, sign bytes, signature and id")
    func goldenEncoding() throws {
        let transaction = try goldenTransaction()
        #expect(transaction.sender.description == rfcPublicKey)
        let expectedTransaction =
            "0b6165746865722d74657374"  // chain id "aether-test"
            + rfcPublicKey  // sender
            + "0700000000000000"  // nonce 7
            + "e803000000000000"  // max fee 1000
            + "0500000000000000"  // priority fee 5
            + "01"  // one message
            + "0462616e6b" + "0100"  // module "bank", kind 1
            + "1d" + String(repeating: "11", count: 20) + "00" + "fa00000000000000"  // transfer 250 aic
        #expect(Canonical.encode(transaction).hex == expectedTransaction)
        #expect(
            transaction.signBytes.hex
                == "0c6165746865722f74782f7631" + "0b6165746865722d74657374" + expectedTransaction)

        let signed = try transaction.signed(by: Ed25519.PrivateKey(seed: rfcSeed))
        let expectedSignature =
            "07476c511b989b5ddfb3350e32e7e1ef7946493e6b5a4477302c49054110a955"
            + "4b92c13986a549ff4afdd4c697f7dfc21dcef56378b549c7275da5d145753f04"
        #expect(signed.signature.description == expectedSignature)
        #expect(signed.encoded.hex == expectedTransaction + expectedSignature)
        #expect(signed.id.description == "fc107ae652b197f946995ca843c173c6455312ad1d9952f55c4d35b12918b58b")
        #expect(signed.isSignatureValid)
        #expect(try SignedTransaction.decode(signed.encoded) == signed)
    }

    @Test("an address is the first 20 bytes of SHA-256 over the domain tag and the public key")
    func addressDerivation() throws {
        let key = try Ed25519.PrivateKey(seed: rfcSeed)
        #expect(Address(publicKey: key.publicKey).description == "2d5c1781d047203cbe705b12ef000ea1b95ae90f")
        #expect(try Address(hex: "0x2d5c1781d047203cbe705b12ef000ea1b95ae90f") == Address(publicKey: key.publicKey))
        #expect(throws: AddressError.invalidLength(19)) { try Address([UInt8](repeating: 0, count: 19)) }
    }

    @Test("changing any signed field invalidates the signature")
    func signatureCoversFields() throws {
        let signed = try goldenTransaction().signed(by: Ed25519.PrivateKey(seed: rfcSeed))
        var changes: [Transaction] = []
        var transaction = signed.transaction
        transaction.chainId = "aether-other"
        changes.append(transaction)
        transaction = signed.transaction
        transaction.nonce += 1
        changes.append(transaction)
        transaction = signed.transaction
        transaction.maxFee += 1
        changes.append(transaction)
        transaction = signed.transaction
        transaction.priorityFee += 1
        changes.append(transaction)
        transaction = signed.transaction
        transaction.messages[0].body[20] = 1  // the denomination: SWR instead of AIC
        changes.append(transaction)
        for changed in changes {
            #expect(!SignedTransaction(transaction: changed, signature: signed.signature).isSignatureValid)
        }
        #expect(throws: TransactionSigningError.self) { try signed.transaction.signed(by: testKey(9)) }
    }

    @Test("decoding enforces the size limits and canonical form")
    func decodingLimits() throws {
        let signed = try goldenTransaction().signed(by: Ed25519.PrivateKey(seed: rfcSeed))
        let encoded = signed.encoded

        // Larger than 64 KiB: refused before decoding.
        let huge = [UInt8](repeating: 0, count: SignedTransaction.maxEncodedSize + 1)
        #expect(throws: TransactionDecodingError.tooLarge(size: huge.count, limit: SignedTransaction.maxEncodedSize)) {
            try SignedTransaction.decode(huge)
        }
        // Trailing bytes, truncation.
        #expect(throws: TransactionDecodingError.malformed(.trailingBytes(count: 1))) {
            try SignedTransaction.decode(encoded + [0])
        }
        #expect(throws: TransactionDecodingError.self) { try SignedTransaction.decode(Array(encoded.dropLast())) }

        // More than 64 messages.
        var many = signed.transaction
        many.messages = Array(repeating: many.messages[0], count: Transaction.maxMessages + 1)
        let tooMany = Canonical.encode(SignedTransaction(transaction: many, signature: signed.signature))
        #expect(tooMany.count < SignedTransaction.maxEncodedSize)
        #expect(throws: TransactionDecodingError.self) { try SignedTransaction.decode(tooMany) }
        many.messages.removeLast()
        let exactly = Canonical.encode(SignedTransaction(transaction: many, signature: signed.signature))
        #expect(try SignedTransaction.decode(exactly).transaction.messages.count == Transaction.maxMessages)

        // A chain id over 64 bytes.
        var longChain = signed.transaction
        longChain.chainId = String(repeating: "x", count: Transaction.maxChainIDLength + 1)
        let longEncoded = Canonical.encode(SignedTransaction(transaction: longChain, signature: signed.signature))
        #expect(throws: TransactionDecodingError.self) { try SignedTransaction.decode(longEncoded) }
    }

    @Test("a typed message round-trips through its envelope and rejects another route")
    func messageEnvelope() throws {
        let recipient = TestAccount(1).address
        let message = Message(Bank.Mint(to: recipient, 5, .swr))
        #expect(message.route == Bank.Mint.route)
        #expect(try message.decode(Bank.Mint.self) == Bank.Mint(to: recipient, 5, .swr))
        #expect(throws: CodecError.self) { try message.decode(Bank.Transfer.self) }
        var unknownDenomination = message
        unknownDenomination.body[20] = 7
        #expect(throws: CodecError.self) { try unknownDenomination.decode(Bank.Mint.self) }
    }
}
