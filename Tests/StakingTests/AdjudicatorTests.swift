import Chain
import ChannelAdjudicator
import ChannelCore
import ChannelMetering
import ChannelWatchtower
import Primitives
import Staking
import Testing

/// The channel adjudicator on the L1 state machine. `StakingChain` checks every module's
/// invariants after every block, the adjudicator's escrow invariant among them.
@Suite("Channel adjudicator")
struct AdjudicatorTests {
    static let alice = TestAccount(40)
    static let bob = TestAccount(41)
    static let keeper = TestAccount(42)  // a third party (a watchtower) that sends messages for them

    static func chain() throws -> StakingChain {
        try StakingChain(
            validators: [validatorA], swr: [],
            aic: [(alice, 1_000_000), (bob, 1_000_000), (keeper, 1_000_000)])
    }

    struct Channel {
        let parameters: ChannelParameters
        var id: Hash { parameters.channelID(chainID: testChainID) }

        init(nonce: UInt64 = 1, challenge: UInt64 = 5) {
            parameters = try! ChannelParameters(
                participants: [alice.key.publicKey, bob.key.publicKey], challengeDuration: challenge, nonce: nonce,
                appID: .zero)
        }

        func state(_ version: UInt64, _ balances: [UInt64], final: Bool = false) -> ChannelState {
            ChannelState(channelID: id, version: version, allocation: Allocation(balances: balances), isFinal: final)
        }

        func signed(_ state: ChannelState) -> SignedState {
            let bytes = state.signBytes(chainID: testChainID)
            return SignedState(state: state, signatures: [alice.key.sign(bytes), bob.key.sign(bytes)])
        }

        func register(_ state: ChannelState) -> Message {
            Message(Adjudicator.Register(parameters: parameters, signed: signed(state)))
        }
    }

    static func code(_ chain: inout StakingChain, _ account: TestAccount, _ message: Message) throws -> UInt32? {
        let receipt = try chain.send(account, message)
        if let failure = receipt.failure { #expect(failure.codespace == Adjudicator.moduleName, "\(failure)") }
        return receipt.failure?.code
    }

    static func aic(_ chain: StakingChain, _ account: TestAccount) throws -> UInt64 {
        try chain.balance(account.address, .aic)
    }

    static func record(_ chain: StakingChain, _ id: Hash) throws -> ChannelRecord {
        try Adjudicator.record(id, in: chain.machine.state(at: chain.root).module(Adjudicator.moduleName))
    }

    @Test("cooperative close: a final state concludes at once; each participant withdraws its balance once")
    func cooperativeClose() throws {
        var chain = try Self.chain()
        let channel = Channel()
        #expect(
            try Self.code(
                &chain, Self.alice, Message(Adjudicator.Deposit(channelID: channel.id, participant: 0, amount: 600)))
                == nil)
        #expect(
            try Self.code(
                &chain, Self.bob, Message(Adjudicator.Deposit(channelID: channel.id, participant: 1, amount: 400)))
                == nil)
        #expect(try chain.balance(Adjudicator.escrow, .aic) == 1_000)
        #expect(try Self.code(&chain, Self.keeper, channel.register(channel.state(9, [250, 750], final: true))) == nil)
        #expect(try Self.record(chain, channel.id).payouts == [250, 750])
        // Anyone may send the withdrawals; the money goes to the participants.
        #expect(
            try Self.code(&chain, Self.keeper, Message(Adjudicator.Withdraw(channelID: channel.id, participant: 0)))
                == nil)
        #expect(
            try Self.code(&chain, Self.keeper, Message(Adjudicator.Withdraw(channelID: channel.id, participant: 1)))
                == nil)
        #expect(try Self.aic(chain, Self.alice) == 1_000_000 - 600 + 250)
        #expect(try Self.aic(chain, Self.bob) == 1_000_000 - 400 + 750)
        #expect(
            try Self.code(&chain, Self.keeper, Message(Adjudicator.Withdraw(channelID: channel.id, participant: 1)))
                == 13)
        #expect(
            try Self.code(
                &chain, Self.alice, Message(Adjudicator.Deposit(channelID: channel.id, participant: 0, amount: 1))) == 4
        )
        #expect(try chain.balance(Adjudicator.escrow, .aic) == 0)
        // The record is provable against the state root.
        let proven = try chain.machine.query(Adjudicator.channelQuery(channel.id), root: chain.root)
        try proven.verify()
    }

    @Test(
        "a stale registration is refuted by a newer state in the window; the window does not extend; the honest balance is paid"
    )
    func refuteStaleState() throws {
        var chain = try Self.chain()
        let channel = Channel(challenge: 6)
        _ = try chain.send(Self.alice, Message(Adjudicator.Deposit(channelID: channel.id, participant: 0, amount: 500)))
        _ = try chain.send(Self.bob, Message(Adjudicator.Deposit(channelID: channel.id, participant: 1, amount: 500)))
        // Bob registers version 1, where he still had most of the money.
        let start = chain.height + 1
        #expect(try Self.code(&chain, Self.bob, channel.register(channel.state(1, [100, 900]))) == nil)
        let timeout = try #require(try Self.record(chain, channel.id).dispute).timeout
        #expect(timeout == start + 6)
        // Alice refutes with version 3; bob's version 2 can no longer replace it.
        #expect(try Self.code(&chain, Self.alice, channel.register(channel.state(3, [800, 200]))) == nil)
        #expect(try Self.code(&chain, Self.bob, channel.register(channel.state(2, [50, 950]))) == 6)
        #expect(try Self.code(&chain, Self.bob, channel.register(channel.state(3, [50, 950]))) == 6)
        #expect(try #require(try Self.record(chain, channel.id).dispute).timeout == timeout)  // not extended
        #expect(try Self.code(&chain, Self.bob, Message(Adjudicator.Conclude(channelID: channel.id))) == 9)
        while chain.height + 1 < timeout { try chain.block() }
        #expect(try Self.code(&chain, Self.bob, channel.register(channel.state(4, [0, 1_000]))) == 7)
        #expect(try Self.code(&chain, Self.bob, Message(Adjudicator.Conclude(channelID: channel.id))) == nil)
        for participant: UInt8 in [0, 1] {
            _ = try chain.send(
                Self.keeper, Message(Adjudicator.Withdraw(channelID: channel.id, participant: participant)))
        }
        #expect(try Self.aic(chain, Self.alice) == 1_000_000 - 500 + 800)
        #expect(try Self.aic(chain, Self.bob) == 1_000_000 - 500 + 200)
    }

    @Test("a metering session in dispute: the provider shows preimages (at most K steps) and is paid for those units")
    func meterProgress() throws {
        var chain = try Self.chain()
        let channel = Channel(nonce: 2, challenge: 10)
        _ = try chain.send(
            Self.alice, Message(Adjudicator.Deposit(channelID: channel.id, participant: 0, amount: 1_000)))
        let segment = HashChain(seed: Hashing.sha256([1, 2, 3]), length: 16)
        let terms = try MeterTerms(unitPrice: 7, segmentLength: 16, creditWindow: 4)
        let open = try MeterUpdates.open(
            from: channel.state(4, [1_000, 0]), sessionID: Hashing.sha256([9]), terms: terms, providerIndex: 1,
            escrow: 500,
            root: segment.root)
        #expect(try Self.code(&chain, Self.alice, channel.register(open)) == nil)
        let unit = { (n: Int) in try segment.preimage(forUnit: n) }
        #expect(
            try Self.code(
                &chain, Self.bob, Message(Adjudicator.ProgressMeter(channelID: channel.id, preimage: unit(5), units: 5))
            ) == nil)
        #expect(
            try Self.code(
                &chain, Self.bob, Message(Adjudicator.ProgressMeter(channelID: channel.id, preimage: unit(5), units: 6))
            ) == 11)
        #expect(
            try Self.code(
                &chain, Self.bob, Message(Adjudicator.ProgressMeter(channelID: channel.id, preimage: unit(3), units: 3))
            ) == 12)
        #expect(
            try Self.code(
                &chain, Self.bob, Message(Adjudicator.ProgressMeter(channelID: channel.id, preimage: unit(9), units: 9))
            ) == nil)
        #expect(
            try Self.code(
                &chain, Self.bob, Message(Adjudicator.ProgressMeter(channelID: channel.id, preimage: .zero, units: 17)))
                == 12)
        let timeout = try #require(try Self.record(chain, channel.id).dispute).timeout
        while chain.height + 1 < timeout { try chain.block() }
        #expect(try Self.code(&chain, Self.keeper, Message(Adjudicator.Conclude(channelID: channel.id))) == nil)
        // Payer: 500 outside the session + 500 − 9 × 7; provider: 9 × 7.
        #expect(try Self.record(chain, channel.id).payouts == [500 + 500 - 63, 63])
    }

    @Test("wrongly signed, wrong-chain, garbage and unfunded-channel messages are refused with their codes")
    func refusals() throws {
        var chain = try Self.chain()
        let channel = Channel(nonce: 3)
        let state = channel.state(1, [10, 0])
        let bytes = state.signBytes(chainID: testChainID)
        let forged = SignedState(state: state, signatures: [Self.alice.key.sign(bytes), Self.keeper.key.sign(bytes)])
        #expect(
            try Self.code(
                &chain, Self.alice, Message(Adjudicator.Register(parameters: channel.parameters, signed: forged))) == 5)
        let elsewhere = channel.state(1, [10, 0])
        let otherChain = elsewhere.signBytes(chainID: "another-chain")
        let replayed = SignedState(
            state: elsewhere, signatures: [Self.alice.key.sign(otherChain), Self.bob.key.sign(otherChain)])
        #expect(
            try Self.code(
                &chain, Self.alice, Message(Adjudicator.Register(parameters: channel.parameters, signed: replayed)))
                == 5)
        let garbage = Message(module: Adjudicator.moduleName, kind: Adjudicator.Register.route.kind, body: [1, 2, 3])
        #expect(try chain.send(Self.alice, garbage).failure != nil)
        #expect(try Self.code(&chain, Self.alice, Message(Adjudicator.Conclude(channelID: channel.id))) == 8)
        #expect(
            try Self.code(&chain, Self.alice, Message(Adjudicator.Withdraw(channelID: channel.id, participant: 0)))
                == 14)
        #expect(
            try Self.code(
                &chain, Self.alice, Message(Adjudicator.Deposit(channelID: channel.id, participant: 2, amount: 5))) == 2
        )
        #expect(
            try Self.code(
                &chain, Self.alice, Message(Adjudicator.Deposit(channelID: channel.id, participant: 0, amount: 0))) == 3
        )
        // Locked funds with no index map must be the one metering session.
        var locked = channel.state(2, [5, 0])
        locked.allocation.locked = [SubAllocation(id: Hashing.sha256([4]), amount: 5)]
        #expect(try Self.code(&chain, Self.alice, channel.register(locked)) == 15)
        // An underfunded channel refunds the deposits instead of paying the outcome.
        _ = try chain.send(Self.alice, Message(Adjudicator.Deposit(channelID: channel.id, participant: 0, amount: 4)))
        #expect(try Self.code(&chain, Self.bob, channel.register(channel.state(7, [3, 7], final: true))) == nil)
        #expect(try Self.record(chain, channel.id).payouts == [4, 0])
    }

    @Test(
        "at the timeout a refutation no longer counts and conclusion opens; one block earlier conclusion is refused"
    )
    func windowEdges() throws {
        var chain = try Self.chain()
        let channel = Channel(nonce: 60, challenge: 4)
        _ = try chain.send(Self.alice, Message(Adjudicator.Deposit(channelID: channel.id, participant: 0, amount: 100)))
        #expect(try Self.code(&chain, Self.bob, channel.register(channel.state(1, [10, 90]))) == nil)
        let timeout = try #require(try Self.record(chain, channel.id).dispute).timeout
        while chain.height + 2 < timeout { try chain.block() }
        #expect(try Self.code(&chain, Self.alice, Message(Adjudicator.Conclude(channelID: channel.id))) == 9)
        // That block was the window's last (height timeout − 1): a refutation there would still count.
        #expect(chain.height + 1 == timeout)
        #expect(try Self.code(&chain, Self.alice, channel.register(channel.state(3, [90, 10]))) == 7)
        #expect(try Self.code(&chain, Self.bob, Message(Adjudicator.Conclude(channelID: channel.id))) == nil)
        #expect(try Self.record(chain, channel.id).payouts == [10, 90])
    }

    @Test("a refutation in the window's very last block replaces the registered state")
    func refutationInLastBlock() throws {
        var chain = try Self.chain()
        let channel = Channel(nonce: 63, challenge: 4)
        _ = try chain.send(Self.alice, Message(Adjudicator.Deposit(channelID: channel.id, participant: 0, amount: 100)))
        #expect(try Self.code(&chain, Self.bob, channel.register(channel.state(1, [10, 90]))) == nil)
        let timeout = try #require(try Self.record(chain, channel.id).dispute).timeout
        while chain.height + 2 < timeout { try chain.block() }
        #expect(try Self.code(&chain, Self.alice, channel.register(channel.state(2, [80, 20]))) == nil)
        #expect(chain.height + 1 == timeout)
        #expect(try Self.code(&chain, Self.bob, Message(Adjudicator.Conclude(channelID: channel.id))) == nil)
        #expect(try Self.record(chain, channel.id).payouts == [80, 20])
    }

    @Test("an overfunded channel pays the outcome and returns the surplus in proportion to the deposits")
    func overfunded() throws {
        var chain = try Self.chain()
        let channel = Channel(nonce: 61)
        _ = try chain.send(Self.alice, Message(Adjudicator.Deposit(channelID: channel.id, participant: 0, amount: 300)))
        _ = try chain.send(Self.bob, Message(Adjudicator.Deposit(channelID: channel.id, participant: 1, amount: 100)))
        // Outcome 200 in total; the 200 surplus goes back 3 : 1.
        #expect(try Self.code(&chain, Self.keeper, channel.register(channel.state(4, [50, 150], final: true))) == nil)
        #expect(try Self.record(chain, channel.id).payouts == [50 + 150, 150 + 50])
    }

    @Test("the module's state round-trips through its genesis export; a record with trailing bytes is refused")
    func genesisRoundTrip() throws {
        var chain = try Self.chain()
        let channel = Channel(nonce: 62)
        _ = try chain.send(Self.alice, Message(Adjudicator.Deposit(channelID: channel.id, participant: 0, amount: 70)))
        _ = try chain.send(Self.bob, channel.register(channel.state(1, [30, 40])))
        let state = chain.machine.state(at: chain.root).module(Adjudicator.moduleName)
        let exported = try Adjudicator().exportGenesis(state)
        let decoded = try Canonical.decode(ModuleEntries.self, from: exported)
        #expect(decoded.entries.count == 1)
        let record = try Canonical.decode(ChannelRecord.self, from: try #require(decoded.entries.values.first))
        #expect(record == (try Self.record(chain, channel.id)))
        #expect(Canonical.encode(decoded) == exported)
        #expect(throws: CodecError.self) {
            try Canonical.decode(ChannelRecord.self, from: Canonical.encode(record) + [0])
        }
    }

    @Test(
        "seeded random sequences of deposits, registrations (stale ones too), progress, conclusions and withdrawals conserve funds",
        arguments: [1, 2, 3])
    func randomSequences(seed: UInt64) throws {
        var chain = try Self.chain()
        var random = SeededRandom(seed: seed)
        let channels = (0..<3).map { Channel(nonce: 100 + UInt64($0), challenge: 3 + UInt64($0)) }
        var deposited: UInt64 = 0
        var withdrawnTotal: UInt64 = 0
        var versions = [UInt64](repeating: 0, count: channels.count)
        for _ in 0..<40 {
            let index = Int(random.next() % UInt64(channels.count))
            let channel = channels[index]
            let sender = [Self.alice, Self.bob, Self.keeper][Int(random.next() % 3)]
            switch random.next() % 5 {
            case 0:
                let amount = 1 + random.next() % 300
                let before = try chain.balance(Adjudicator.escrow, .aic)
                _ = try chain.send(
                    sender,
                    Message(
                        Adjudicator.Deposit(
                            channelID: channel.id, participant: UInt8(random.next() % 2), amount: amount)))
                deposited += try chain.balance(Adjudicator.escrow, .aic) - before
            case 1, 2:
                // A fresh or a stale version; balances that conserve the channel's total of 600.
                versions[index] += random.next() % 3
                let first = random.next() % 601
                _ = try chain.send(
                    sender,
                    channel.register(
                        channel.state(versions[index], [first, 600 - first], final: random.next() % 6 == 0)))
            case 3:
                _ = try chain.send(sender, Message(Adjudicator.Conclude(channelID: channel.id)))
            default:
                let before = try chain.balance(Adjudicator.escrow, .aic)
                _ = try chain.send(
                    sender, Message(Adjudicator.Withdraw(channelID: channel.id, participant: UInt8(random.next() % 2))))
                withdrawnTotal += before - (try chain.balance(Adjudicator.escrow, .aic))
            }
        }
        // Conclude and withdraw everything: the escrow empties and nothing was created or lost.
        for _ in 0..<10 { try chain.block() }
        for channel in channels {
            _ = try chain.send(Self.keeper, Message(Adjudicator.Conclude(channelID: channel.id)))
            for participant: UInt8 in [0, 1] {
                let before = try chain.balance(Adjudicator.escrow, .aic)
                _ = try chain.send(
                    Self.keeper, Message(Adjudicator.Withdraw(channelID: channel.id, participant: participant)))
                withdrawnTotal += before - (try chain.balance(Adjudicator.escrow, .aic))
            }
        }
        let undisputed = try channels.reduce(UInt64(0)) { total, channel in
            let record = try Self.record(chain, channel.id)
            return total + (record.dispute == nil ? record.holdings.reduce(0, +) : 0)
        }
        #expect(try chain.balance(Adjudicator.escrow, .aic) == undisputed)
        #expect(withdrawnTotal + undisputed == deposited)
        let total = try [Self.alice, Self.bob, Self.keeper].reduce(UInt64(0)) { $0 + (try Self.aic(chain, $1)) }
        #expect(total + undisputed == 3_000_000)
    }
}

/// The watchtower's core against the adjudicator on the L1 state machine: it refutes for a client
/// that is offline, drives meter progress, concludes and withdraws.
@Suite("Channel watchtower")
struct WatchtowerTests {
    typealias Channel = AdjudicatorTests.Channel

    /// Runs the watchtower for `id` until it has nothing to do, sending as `sender`.
    static func drive(_ tower: Watchtower, _ id: Hash, _ chain: inout StakingChain, as sender: TestAccount) throws
        -> Int
    {
        var sent = 0
        for _ in 0..<10 {
            let record = try AdjudicatorTests.record(chain, id)
            let state = chain.machine.state(at: chain.root).module(Adjudicator.moduleName)
            var children: [Hash: ChildRecord] = [:]
            for (child, watched) in tower.channels where watched.isChild {
                children[child] = try Adjudicator.childRecord(child, in: state)
            }
            let actions = tower.actions(channelID: id, record: record, height: chain.height + 1, children: children)
            guard let action = actions.first else { return sent }
            let message: Message
            switch action {
            case .register(let parameters, let signed):
                message = Message(Adjudicator.Register(parameters: parameters, signed: signed))
            case .registerChild(let parameters, let signed):
                message = Message(Adjudicator.RegisterChild(parameters: parameters, signed: signed))
            case .progress(let channelID, let preimage, let units):
                message = Message(Adjudicator.ProgressMeter(channelID: channelID, preimage: preimage, units: units))
            case .conclude(let channelID): message = Message(Adjudicator.Conclude(channelID: channelID))
            case .withdraw(let channelID, let participant):
                message = Message(Adjudicator.Withdraw(channelID: channelID, participant: participant))
            }
            #expect(try chain.send(sender, message).failure == nil, "\(action)")
            sent += 1
        }
        return sent
    }

    @Test("alice offline: bob registers a stale state; alice's watchtower refutes, concludes and withdraws her balance")
    func refutesForOfflineClient() throws {
        var chain = try AdjudicatorTests.chain()
        let channel = Channel(nonce: 50, challenge: 4)
        _ = try chain.send(
            AdjudicatorTests.alice, Message(Adjudicator.Deposit(channelID: channel.id, participant: 0, amount: 500)))
        _ = try chain.send(
            AdjudicatorTests.bob, Message(Adjudicator.Deposit(channelID: channel.id, participant: 1, amount: 500)))
        var tower = Watchtower(chainID: testChainID)
        try tower.watch(
            parameters: channel.parameters, client: 0, latest: channel.signed(channel.state(2, [600, 400])))
        try tower.watch(
            parameters: channel.parameters, client: 0, latest: channel.signed(channel.state(5, [900, 100])))
        #expect(throws: Watchtower.Refusal.self) {
            try tower.watch(
                parameters: channel.parameters, client: 0, latest: channel.signed(channel.state(4, [0, 1_000])))
        }
        var forged = channel.signed(channel.state(9, [1_000, 0]))
        forged = SignedState(state: forged.state, signatures: [forged.signatures[0], forged.signatures[0]])
        #expect(throws: Watchtower.Refusal.self) {
            try tower.watch(parameters: channel.parameters, client: 0, latest: forged)
        }
        // Nothing registered yet: the tower stays quiet.
        #expect(try Self.drive(tower, channel.id, &chain, as: AdjudicatorTests.keeper) == 0)

        #expect(try chain.send(AdjudicatorTests.bob, channel.register(channel.state(3, [200, 800]))).failure == nil)
        #expect(try Self.drive(tower, channel.id, &chain, as: AdjudicatorTests.keeper) == 1)  // the refutation
        #expect(try AdjudicatorTests.record(chain, channel.id).dispute?.state.version == 5)
        let timeout = try #require(try AdjudicatorTests.record(chain, channel.id).dispute).timeout
        while chain.height + 1 < timeout { try chain.block() }
        #expect(try Self.drive(tower, channel.id, &chain, as: AdjudicatorTests.keeper) == 2)  // conclude, withdraw
        #expect(try AdjudicatorTests.aic(chain, AdjudicatorTests.alice) == 1_000_000 - 500 + 900)
        #expect(try AdjudicatorTests.record(chain, channel.id).withdrawn == [true, false])
    }
}
