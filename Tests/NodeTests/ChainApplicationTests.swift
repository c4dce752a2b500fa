import Chain
import Primitives
import Storage
import Testing

@testable import Application
@testable import Consensus

@Suite("Chain application")
struct ChainApplicationTests {
    static let chainId = "application-test"
    static let proposer = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 77, count: 32))
    static let senders = (1...3).map { try! Ed25519.PrivateKey(seed: [UInt8](repeating: UInt8($0), count: 32)) }
    static let sink = Address(publicKey: try! Ed25519.PrivateKey(seed: [UInt8](repeating: 99, count: 32)).publicKey)

    static func transfer(_ sender: Int, nonce: UInt64) -> [UInt8] {
        let key = senders[sender]
        let transaction = Transaction(
            chainId: chainId, sender: key.publicKey, nonce: nonce, maxFee: 10_000, priorityFee: 0,
            messages: [Message(Bank.Transfer(to: sink, 1, .aic))])
        return try! transaction.signed(by: key).encoded
    }

    /// A template for the block after `parent` (its roots are the application's to fill).
    static func template(after parent: BlockHeader) -> BlockTemplate {
        let header = BlockHeader(
            chainId: chainId, epoch: 0, height: parent.height + 1, view: parent.height + 1, parentID: parent.id,
            stateRoot: .zero, transactionRoot: .zero, receiptRoot: .zero, dataAvailabilityRoot: .zero,
            validatorSetHash: .zero, nextValidatorSetHash: .zero, proposer: proposer.publicKey,
            vrfProof: try! VRF.Proof([UInt8](repeating: 0, count: 80)), timestamp: 1_000 + parent.height,
            justify: QuorumCertificate(
                epoch: 0, view: parent.height, height: parent.height, blockID: parent.id, signatures: []))
        return BlockTemplate(header: header, parent: parent, isEpochSuffix: false)
    }

    @Test("a leader building on an uncommitted block neither repeats its transactions nor drops them from the pool")
    func buildOnUncommittedParent() throws {
        let store = MemoryStore(columns: [.default] + SparseMerkleTree.defaultColumns)
        let machine = try ChainStateMachine.withBank(
            chainId: Self.chainId, tree: SparseMerkleTree(store: store),
            fees: FeeSchedule(base: 100, perByte: 1, perStep: 10, perMemoryByte: 1))
        var bank = Bank.Genesis()
        for key in Self.senders {
            let address = Address(publicKey: key.publicKey)
            bank.balances.append(Bank.Balance(address: address, denomination: .aic, amount: 1_000_000))
        }
        var genesisState = ChainGenesis(chainId: Self.chainId)
        genesisState.set(Bank.moduleName, bank)
        var batch = WriteBatch()
        let root = try machine.initGenesis(genesisState, batch: &batch)
        try store.write(batch, sync: false)
        var genesis = Self.template(after: ChainStoreTests.header(height: 0, parent: .zero)).header
        genesis.height = 0
        genesis.stateRoot = root
        var application = ChainApplication(chain: machine, committedRoot: root)

        let early = (0..<4).map { Self.transfer(0, nonce: $0) } + (0..<2).map { Self.transfer(1, nonce: $0) }
        for encoded in early { try application.submit(encoded, from: .local) }
        var firstBatch = WriteBatch()
        let first = try application.build(Self.template(after: genesis), stateBatch: &firstBatch)
        try store.write(firstBatch, sync: false)
        #expect(first.transactions.count == early.count)

        // More arrive while the first block waits for its certificate.
        let late = [Self.transfer(0, nonce: 4), Self.transfer(2, nonce: 0)]
        for encoded in late { try application.submit(encoded, from: .local) }
        var secondBatch = WriteBatch()
        let second = try application.build(Self.template(after: first.header), stateBatch: &secondBatch)
        #expect(Set(second.transactions) == Set(late))
        // The first block's transactions stay pooled until it commits (it may yet be abandoned).
        #expect(application.mempool.count == early.count + late.count)

        // Once the first block commits, its transactions leave the pool and the second's stay.
        var commitBatch = WriteBatch()
        _ = try application.commit(first, parent: genesis, isEpochSuffix: false, stateBatch: &commitBatch)
        #expect(application.mempool.count == late.count)
    }
}
