import Chain
import ChannelAdjudicator
import ChannelCore
import ChannelMetering
import ChannelWatchtower
import Primitives
import Staking
import Testing

/// Disputes of sub- and virtual channels on the L1 state machine (ADR 0016): a parent that locks
/// a child concludes from the child's registered state; the first conclusion freezes the child.
/// `StakingChain` checks the escrow invariant after every block.
@Suite("Child channels on the adjudicator")
struct ChildChannelAdjudicatorTests {
    static let alice = TestAccount(50)
    static let hub = TestAccount(51)
    static let bob = TestAccount(52)
    static let keeper = TestAccount(53)

    static func chain() throws -> StakingChain {
        try StakingChain(
            validators: [validatorA], swr: [],
            aic: [(alice, 1_000_000), (hub, 1_000_000), (bob, 1_000_000), (keeper, 1_000_000)])
    }

    /// A channel between two test accounts.
    struct Channel {
        let parties: [TestAccount]
        let parameters: ChannelParameters
        var id: Hash { parameters.channelID(chainID: testChainID) }

        init(_ first: TestAccount, _ second: TestAccount, nonce: UInt64, challenge: UInt64 = 5) {
            parties = [first, second]
            parameters = try! ChannelParameters(
                participants: [first.key.publicKey, second.key.publicKey], challengeDuration: challenge, nonce: nonce,
                appID: .zero)
        }

        func state(_ version: UInt64, _ balances: [UInt64], final: Bool = false) -> ChannelState {
            ChannelState(channelID: id, version: version, allocation: Allocation(balances: balances), isFinal: final)
        }

        func signed(_ state: ChannelState) -> SignedState {
            let bytes = state.signBytes(chainID: testChainID)
            return SignedState(state: state, signatures: parties.map { $0.key.sign(bytes) })
        }

        func register(_ state: ChannelState) -> Message {
            Message(Adjudicator.Register(parameters: parameters, signed: signed(state)))
        }

        func registerChild(_ state: ChannelState) -> Message {
            Message(Adjudicator.RegisterChild(parameters: parameters, signed: signed(state)))
        }

        func deposit(_ chain: inout StakingChain, _ amounts: [UInt64]) throws {
            for (index, amount) in amounts.enumerated() where amount > 0 {
                let receipt = try chain.send(
                    parties[index],
                    Message(Adjudicator.Deposit(channelID: id, participant: UInt8(index), amount: amount)))
                #expect(receipt.failure == nil)
            }
        }
    }

    static func code(_ chain: inout StakingChain, _ message: Message) throws -> UInt32? {
        let receipt = try chain.send(keeper, message)
        if let failure = receipt.failure { #expect(failure.codespace == Adjudicator.moduleName, "\(failure)") }
        return receipt.failure?.code
    }

    static func payouts(_ chain: StakingChain, _ id: Hash) throws -> [UInt64]? {
        try Adjudicator.record(id, in: chain.machine.state(at: chain.root).module(Adjudicator.moduleName)).payouts
    }

    static func child(_ chain: StakingChain, _ id: Hash) throws -> ChildRecord? {
        try Adjudicator.childRecord(id, in: chain.machine.state(at: chain.root).module(Adjudicator.moduleName))
    }

    /// The height from which `channel` can conclude: its window and those of the registered
    /// children it locks (unless `children` is false) have closed.
    static func due(_ chain: StakingChain, _ channel: Channel, children: Bool = true) throws -> UInt64 {
        let state = chain.machine.state(at: chain.root).module(Adjudicator.moduleName)
        let dispute = try #require(try Adjudicator.record(channel.id, in: state).dispute)
        var due = dispute.timeout
        for sub in dispute.state.allocation.locked where sub.isChannel && children {
            if let child = try Adjudicator.childRecord(sub.id, in: state) { due = max(due, child.timeout) }
        }
        return due
    }

    /// Waits until `channel` is due (see `due`), then sends its conclusion.
    static func concludeAfterWindow(
        _ chain: inout StakingChain, _ channel: Channel, children: Bool = true
    ) throws -> UInt32? {
        let due = try Self.due(chain, channel, children: children)
        while chain.height + 1 < due { try chain.block() }
        return try code(&chain, Message(Adjudicator.Conclude(channelID: channel.id)))
    }

    static func withdrawAll(_ chain: inout StakingChain, _ channel: Channel) throws {
        for participant: UInt8 in [0, 1] {
            #expect(
                try code(&chain, Message(Adjudicator.Withdraw(channelID: channel.id, participant: participant))) == nil)
        }
    }

    @Test("a sub-channel dispute: the parent concludes only with the child registered and its window closed")
    func subChannelDispute() throws {
        var chain = try Self.chain()
        let parent = Channel(Self.alice, Self.bob, nonce: 1)
        let child = Channel(Self.alice, Self.bob, nonce: 2)
        try parent.deposit(&chain, [600, 400])
        let child0 = child.state(0, [200, 100])
        let locking = try ChildChannels.fund(parent.state(4, [600, 400]), child: child0, indexMap: [0, 1])
        #expect(locking.allocation.balances == [400, 300])

        // Bob registers the parent; the window closes with no child registered: no conclusion yet.
        #expect(try Self.code(&chain, parent.register(locking)) == nil)
        #expect(try Self.concludeAfterWindow(&chain, parent, children: false) == 17)
        // Bob registers a stale child state, which opens the child's own window; alice refutes it
        // with the latest (version 7); bob's version 5 no longer counts.
        #expect(try Self.code(&chain, child.registerChild(child.state(3, [50, 250]))) == nil)
        let childTimeout = try #require(try Self.child(chain, child.id)).timeout
        #expect(childTimeout == chain.height + 5)
        #expect(try Self.code(&chain, child.registerChild(child.state(7, [260, 40]))) == nil)
        #expect(try Self.code(&chain, child.registerChild(child.state(5, [0, 300]))) == 6)
        // The parent waits for the child's window, which did not move.
        #expect(try Self.code(&chain, Message(Adjudicator.Conclude(channelID: parent.id))) == 19)
        #expect(try Self.child(chain, child.id)?.timeout == childTimeout)
        while chain.height + 1 < childTimeout { try chain.block() }
        #expect(try Self.code(&chain, child.registerChild(child.state(9, [0, 300]))) == 7)
        #expect(try Self.code(&chain, Message(Adjudicator.Conclude(channelID: parent.id))) == nil)
        #expect(try Self.payouts(chain, parent.id) == [400 + 260, 300 + 40])
        try Self.withdrawAll(&chain, parent)
        #expect(try chain.balance(Self.alice.address, .aic) == 1_000_000 - 600 + 660)
        #expect(try chain.balance(Self.bob.address, .aic) == 1_000_000 - 400 + 340)
        #expect(try chain.balance(Adjudicator.escrow, .aic) == 0)
        // The child record is provable against the state root.
        try chain.machine.query(Adjudicator.childQuery(child.id), root: chain.root).verify()
    }

    @Test("a virtual channel with the hub gone: both ledger disputes pay A and B their V balances; the hub nets zero")
    func virtualChannelHubGone() throws {
        var chain = try Self.chain()
        let ledgerAH = Channel(Self.alice, Self.hub, nonce: 10, challenge: 4)
        let ledgerHB = Channel(Self.hub, Self.bob, nonce: 11, challenge: 6)
        let virtual = Channel(Self.alice, Self.bob, nonce: 12)
        try ledgerAH.deposit(&chain, [500, 500])
        try ledgerHB.deposit(&chain, [600, 50])
        let hubBefore = try chain.balance(Self.hub.address, .aic)

        // V is funded by one update in each ledger, with no transaction: A puts 400 in, the hub
        // fronts it on B's side.
        let v0 = virtual.state(0, [400, 0])
        let lockedAH = try ChildChannels.fund(ledgerAH.state(3, [500, 500]), child: v0, indexMap: [0, 1])
        let lockedHB = try ChildChannels.fund(ledgerHB.state(8, [600, 50]), child: v0, indexMap: [0, 1])
        // A streams 250 to B in V; then the hub vanishes.
        let latestV = virtual.state(25, [150, 250])

        // A disputes her ledger and registers V's latest; B disputes his (an older V would be stale).
        #expect(try Self.code(&chain, ledgerAH.register(lockedAH)) == nil)
        #expect(try Self.code(&chain, virtual.registerChild(latestV)) == nil)
        #expect(try Self.code(&chain, ledgerHB.register(lockedHB)) == nil)
        #expect(try Self.code(&chain, virtual.registerChild(virtual.state(20, [200, 200]))) == 6)
        #expect(try Self.concludeAfterWindow(&chain, ledgerAH) == nil)
        // V's window has closed: a later V state cannot change what the other ledger pays.
        #expect(try Self.code(&chain, virtual.registerChild(virtual.state(26, [0, 400]))) == 7)
        #expect(try Self.concludeAfterWindow(&chain, ledgerHB) == nil)
        #expect(try Self.payouts(chain, ledgerAH.id) == [100 + 150, 500 + 250])
        #expect(try Self.payouts(chain, ledgerHB.id) == [200 + 150, 50 + 250])
        try Self.withdrawAll(&chain, ledgerAH)
        try Self.withdrawAll(&chain, ledgerHB)
        #expect(try chain.balance(Self.alice.address, .aic) == 1_000_000 - 500 + 250)
        #expect(try chain.balance(Self.bob.address, .aic) == 1_000_000 - 50 + 300)
        // The hub deposited 1,100 and gets 1,100 back: it neither gained nor lost by V.
        #expect(try chain.balance(Self.hub.address, .aic) == hubBefore + 750 + 350)
        #expect(try chain.balance(Adjudicator.escrow, .aic) == 0)
    }

    @Test("a metered virtual channel: the provider shows preimages on the child, and both ledgers pay the units")
    func meteredChild() throws {
        var chain = try Self.chain()
        let ledgerAH = Channel(Self.alice, Self.hub, nonce: 20)
        let ledgerHB = Channel(Self.hub, Self.bob, nonce: 21)
        let virtual = Channel(Self.alice, Self.bob, nonce: 22)
        try ledgerAH.deposit(&chain, [1_000, 1_000])
        try ledgerHB.deposit(&chain, [1_000, 0])
        let v0 = virtual.state(0, [600, 0])
        let lockedAH = try ChildChannels.fund(ledgerAH.state(1, [1_000, 1_000]), child: v0, indexMap: [0, 1])
        let lockedHB = try ChildChannels.fund(ledgerHB.state(1, [1_000, 0]), child: v0, indexMap: [0, 1])
        // Inside V, A (payer) opens a metering session with B (provider): 500 locked, 3 per unit.
        let segment = HashChain(seed: Hashing.sha256([7]), length: 16)
        let terms = try MeterTerms(unitPrice: 3, segmentLength: 16, creditWindow: 4)
        let metered = try MeterUpdates.open(
            from: v0, sessionID: Hashing.sha256([8]), terms: terms, providerIndex: 1, escrow: 500, root: segment.root)
        #expect(try Self.code(&chain, ledgerAH.register(lockedAH)) == nil)
        #expect(try Self.code(&chain, ledgerHB.register(lockedHB)) == nil)
        #expect(try Self.code(&chain, virtual.registerChild(metered)) == nil)
        // B shows 10 units (the preimage 10 steps below the root).
        let preimage = try segment.preimage(forUnit: 10)
        #expect(
            try Self.code(
                &chain, Message(Adjudicator.ProgressMeter(channelID: virtual.id, preimage: preimage, units: 10)))
                == nil)
        #expect(try Self.concludeAfterWindow(&chain, ledgerAH) == nil)
        #expect(try Self.concludeAfterWindow(&chain, ledgerHB) == nil)
        // V's outcome: A 100 + 470 back, B 30.
        #expect(try Self.payouts(chain, ledgerAH.id) == [400 + 570, 1_000 + 30])
        #expect(try Self.payouts(chain, ledgerHB.id) == [400 + 570, 30])
        // The child's window has closed: no more progress.
        #expect(
            try Self.code(
                &chain,
                Message(
                    Adjudicator.ProgressMeter(
                        channelID: virtual.id, preimage: try segment.preimage(forUnit: 12), units: 12)))
                == 7)
    }

    @Test("wrong index maps, mismatched child totals and nested children are refused with their codes")
    func refusals() throws {
        var chain = try Self.chain()
        let parent = Channel(Self.alice, Self.bob, nonce: 30)
        let child = Channel(Self.alice, Self.bob, nonce: 31)
        try parent.deposit(&chain, [100, 100])
        // A swapped map for a sub-channel (its participants map to their own indices).
        let swapped = try ChildChannels.fund(
            parent.state(1, [100, 100]), child: child.state(0, [50, 50]), indexMap: [1, 0])
        #expect(try Self.code(&chain, parent.register(swapped)) == nil)
        #expect(try Self.code(&chain, child.registerChild(child.state(1, [60, 40]))) == nil)
        #expect(try Self.concludeAfterWindow(&chain, parent) == 20)

        let other = Channel(Self.alice, Self.bob, nonce: 32)
        let otherChild = Channel(Self.alice, Self.bob, nonce: 33)
        try other.deposit(&chain, [100, 100])
        let locking = try ChildChannels.fund(
            other.state(1, [100, 100]), child: otherChild.state(0, [50, 50]), indexMap: [0, 1])
        #expect(try Self.code(&chain, other.register(locking)) == nil)
        // The child's registered state holds 90, the parent locked 100.
        #expect(try Self.code(&chain, otherChild.registerChild(otherChild.state(1, [40, 50]))) == nil)
        #expect(try Self.concludeAfterWindow(&chain, other) == 18)
        // A child state may not lock children of its own.
        let nested = try ChildChannels.fund(
            otherChild.state(2, [50, 50]), child: Channel(Self.alice, Self.bob, nonce: 34).state(0, [10, 10]),
            indexMap: [0, 1])
        #expect(try Self.code(&chain, otherChild.registerChild(nested)) == 21)
        // Stuck parents hold their deposits: the escrow invariant still holds (checked every block).
        #expect(try chain.balance(Adjudicator.escrow, .aic) == 400)
    }

    @Test("alice offline: her tower registers the child's latest state, refutes a stale one, then concludes the parent")
    func towerWatchesChildren() throws {
        var chain = try Self.chain()
        let parent = Channel(Self.alice, Self.bob, nonce: 40, challenge: 4)
        let child = Channel(Self.alice, Self.bob, nonce: 41)
        try parent.deposit(&chain, [500, 500])
        let locking = try ChildChannels.fund(
            parent.state(2, [500, 500]), child: child.state(0, [100, 100]), indexMap: [0, 1])
        var tower = Watchtower(chainID: testChainID)
        try tower.watch(parameters: parent.parameters, client: 0, latest: parent.signed(locking))
        try tower.watch(
            parameters: child.parameters, client: 0, latest: child.signed(child.state(6, [180, 20])), child: true)
        // Bob disputes the parent: the tower registers the child's latest first.
        #expect(try chain.send(Self.bob, parent.register(locking)).failure == nil)
        #expect(try WatchtowerTests.drive(tower, parent.id, &chain, as: Self.keeper) == 1)
        #expect(try Self.child(chain, child.id)?.state.version == 6)
        // Bob's older child state is refused; the tower has nothing more to do until the window
        // closes, then concludes and withdraws.
        #expect(try Self.code(&chain, child.registerChild(child.state(4, [20, 180]))) == 6)
        #expect(try WatchtowerTests.drive(tower, parent.id, &chain, as: Self.keeper) == 0)
        // Not while the child's window is open (it closes after the parent's).
        let parentTimeout = try Self.due(chain, parent, children: false)
        let due = try Self.due(chain, parent)
        #expect(due > parentTimeout)
        while chain.height + 1 < parentTimeout { try chain.block() }
        #expect(try WatchtowerTests.drive(tower, parent.id, &chain, as: Self.keeper) == 0)
        while chain.height + 1 < due { try chain.block() }
        #expect(try WatchtowerTests.drive(tower, parent.id, &chain, as: Self.keeper) == 2)  // conclude, withdraw
        #expect(try Self.payouts(chain, parent.id) == [400 + 180, 400 + 20])
        #expect(try chain.balance(Self.alice.address, .aic) == 1_000_000 - 500 + 580)

        // A registered child state older than the client's is refuted on its own, inside its window.
        let other = Channel(Self.alice, Self.bob, nonce: 42)
        var towerOfChild = Watchtower(chainID: testChainID)
        try towerOfChild.watch(
            parameters: other.parameters, client: 1, latest: other.signed(other.state(9, [1, 2])), child: true)
        #expect(try Self.code(&chain, other.registerChild(other.state(3, [3, 0]))) == nil)
        let stale = try Self.child(chain, other.id)
        let registered = try #require(stale)
        #expect(towerOfChild.childActions(channelID: other.id, record: stale, height: chain.height + 1).count == 1)
        #expect(towerOfChild.childActions(channelID: other.id, record: stale, height: registered.timeout).isEmpty)
    }
}
