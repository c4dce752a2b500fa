import Chain
import ChainConfiguration
import Consensus
import Primitives
import Staking
import Storage
import Testing

@Suite("Staking genesis and simulation")
struct GenesisAndSimulationTests {
    static func genesisText(validators: [TestValidator], accounts: [(TestAccount, UInt64, UInt64)]) -> String {
        var text = """
            [chain]
            chain_id = "\(testChainID)"
            genesis_time_ms = 1_700_000_000_000
            slot_ms = 500
            block_bytes_max = 2_000_000
            epoch_slots = 4
            [consensus]
            tau = 0.8
            quorum = "2/3"
            slash_double = "0.05"
            leak_downtime = "0.00001"
            [fees]
            a = 10000
            b = 5
            c = 2
            d = 1
            [rent]
            rho_per_byte_per_epoch = 2
            horizon_epochs = 12
            [staking]
            unbonding_delay_epochs = 2
            reward_per_epoch = 1_000
            min_commission = "0"
            max_commission = "0.5"
            min_self_bond = 1_000
            downtime_window_slots = 8
            jail_threshold_slots = 4
            jail_epochs = 1
            max_validators = 10

            """
        for (index, validator) in validators.enumerated() {
            text += """
                [[validators]]
                name = "validator-\(index)"
                public_key = "\(Hex.encode(validator.consensusKey.publicKey.bytes))"
                vrf_public_key = "\(Hex.encode(validator.vrfKey.publicKey.bytes))"
                stake = \(validator.stake)
                operator = "\(validator.address)"

                """
        }
        for (account, aic, swr) in accounts {
            text += """
                [[accounts]]
                public_key = "\(Hex.encode(account.key.publicKey.bytes))"
                aic = \(aic)
                swr = \(swr)

                """
        }
        return text
    }

    @Test("genesis.toml maps onto fees, the consensus configuration, the bank and staking")
    func fromConfiguration() throws {
        let text = Self.genesisText(
            validators: [validatorA, validatorB], accounts: [(delegatorD, 5_000_000, 300_000)])
        let genesis = try Genesis.load(text)
        #expect(genesis.feeSchedule == FeeSchedule(base: 10_000, perByte: 5, perStep: 2, perMemoryByte: 1))
        let consensus = genesis.consensusConfiguration()
        #expect(consensus.chainId == testChainID)
        #expect(consensus.minimumBlockInterval == 500)
        #expect(consensus.epochLength == 4)
        #expect(consensus.maximumBlockBytes == 2_000_000)
        #expect(genesis.stakingParameters.slashDouble == ratio(1, 20))
        #expect(genesis.stakingParameters.leakDowntime == ratio(1, 100_000))

        let store = MemoryStore(columns: [StoreColumn.default] + SparseMerkleTree.defaultColumns)
        let machine = try genesis.stateMachine(tree: SparseMerkleTree(store: store))
        var batch = WriteBatch()
        let root = try machine.initGenesis(try genesis.chainGenesis(), batch: &batch)
        try store.write(batch, sync: false)
        #expect(try machine.checkInvariants(root: root).isEmpty)
        let bank = machine.state(at: root).module(Bank.moduleName)
        #expect(try Bank.Keeper.balance(of: Staking.pool, .swr, in: bank) == 300_000)
        #expect(try Bank.Keeper.balance(of: delegatorD.address, .aic, in: bank) == 5_000_000)
        #expect(try Bank.Keeper.supply(of: .swr, in: bank) == 600_000)
        let initial = try genesis.initialValidatorSet()
        #expect(try machine.validatorSet(epoch: 0, root: root) == initial)
        #expect(try machine.validatorSet(epoch: 1, root: root) == initial)
        #expect(initial.totalStake == 300_000)

        // Two entries for one account (a key and its address) are refused.
        var twice = genesis
        twice.accounts.append(Genesis.Account(id: .address(delegatorD.address.bytes), aic: 1, swr: 0))
        #expect(throws: ConfigurationError.self) { try twice.chainGenesis() }
    }

    @Test("genesis refuses an inconsistent staking state")
    func invalidGenesis() throws {
        var genesis = Staking.Genesis.initial(
            parameters: testParameters(),
            validators: [
                Staking.InitialValidator(
                    operatorAddress: validatorA.address, name: "a", publicKey: validatorA.consensusKey.publicKey,
                    vrfPublicKey: validatorA.vrfKey.publicKey, commission: .zero, stake: 10_000)
            ])
        genesis.delegations[0].delegation.shares = 9_999
        var chain = ChainGenesis(chainId: testChainID)
        chain.set(Staking.moduleName, genesis)
        #expect(throws: GenesisError.self) { try StakingChain(genesis: chain) }

        genesis = Staking.Genesis(parameters: testParameters(unbondingDelay: 1))
        chain.set(Staking.moduleName, genesis)
        #expect(throws: GenesisError.self) { try StakingChain(genesis: chain) }
    }

    @Test("a seeded random run keeps every invariant after every block, and its state exports and re-imports")
    func seededRandomRun() throws {
        let seed: UInt64 = 0x5EED_57A4
        var random = SeededRandom(seed: seed)
        let validators = [
            TestValidator(operatorAccount: TestAccount(1), consensusIndex: 101, stake: 300_000),
            TestValidator(operatorAccount: TestAccount(2), consensusIndex: 103, stake: 200_000),
            TestValidator(operatorAccount: TestAccount(3), consensusIndex: 105, stake: 100_000),
            TestValidator(operatorAccount: TestAccount(4), consensusIndex: 107, stake: 50_000),
        ]
        let newcomers = (0..<3).map {
            TestValidator(
                operatorAccount: TestAccount(40 + UInt8($0)), consensusIndex: 141 + 2 * UInt8($0), stake: 20_000)
        }
        let delegators = (0..<6).map { TestAccount(60 + UInt8($0)) }
        var parameters = testParameters(
            epochSlots: 3, unbondingDelay: 2, reward: .fixed(5_000), maxValidators: 5, jailThreshold: 3, window: 6)
        parameters.slashDouble = ratio(1, 3)
        parameters.leakDowntime = ratio(1, 50)
        var chain = try StakingChain(
            parameters: parameters, validators: validators,
            swr: delegators.map { ($0, 400_000) } + newcomers.map { ($0.operatorAccount, 100_000) }
                + validators.map { ($0.operatorAccount, 50_000) })
        let operators = validators + newcomers
        var successes: [UInt16: Int] = [:]

        for blockIndex in 0..<150 {
            var transactions: [[UInt8]] = []
            for _ in 0..<Int(random.next() % 4) {
                let validator = operators[Int(random.next() % UInt64(operators.count))]
                let other = operators[Int(random.next() % UInt64(operators.count))]
                let delegator = delegators[Int(random.next() % UInt64(delegators.count))]
                let amount = 1 + random.next() % 60_000
                let epoch = try chain.nextEpoch
                switch random.next() % 12 {
                case 0:
                    transactions.append(chain.transaction(validator.operatorAccount, [createMessage(validator)]))
                case 1, 2:
                    transactions.append(
                        chain.transaction(delegator, [Message(Staking.Delegate(to: validator.address, amount))]))
                case 3:
                    transactions.append(
                        chain.transaction(delegator, [Message(Staking.Undelegate(from: validator.address, amount))]))
                case 4:
                    transactions.append(
                        chain.transaction(
                            delegator, [Message(Staking.Redelegate(from: validator.address, to: other.address, amount))]
                        ))
                case 5: transactions.append(chain.transaction(validator.operatorAccount, [Message(Staking.Unjail())]))
                case 6:
                    transactions.append(
                        chain.transaction(validator.operatorAccount, [Message(Staking.Bond(amount / 4 + 1))]))
                case 7:
                    transactions.append(
                        chain.transaction(validator.operatorAccount, [Message(Staking.Unbond(amount / 4 + 1))]))
                case 8:
                    transactions.append(
                        chain.transaction(validator.operatorAccount, [Message(Staking.JoinDomain("app-1"))]))
                case 9:
                    transactions.append(
                        chain.transaction(validator.operatorAccount, [Message(Staking.LeaveDomain("app-1"))]))
                case 10 where random.next() % 6 == 0:
                    let evidence = doubleVote(validator.consensusKey, epoch: epoch, salt: UInt8(blockIndex % 256))
                    transactions.append(chain.transaction(delegator, [Message(Staking.SubmitEvidence(evidence))]))
                case 11 where random.next() % 4 == 0:
                    let evidence = doubleVote(
                        validator.consensusKey, chainId: "app-1", epoch: 3, salt: UInt8(blockIndex % 256))
                    transactions.append(
                        chain.transaction(delegator, [Message(Staking.SubmitEvidence(evidence, domain: "app-1"))]))
                default:
                    transactions.append(
                        chain.transaction(delegator, [Message(Staking.Delegate(to: validator.address, amount))]))
                }
            }
            // Sometimes one or two validators of the parent's set do not sign.
            var signers: [Ed25519.PublicKey]? = nil
            if random.next() % 3 == 0, let set = try chain.set(try chain.progress.epoch) {
                signers = set.members.map(\.publicKey).filter { _ in random.next() % 3 != 0 }
                if signers?.isEmpty == true { signers = nil }
            }
            let execution: BlockExecution
            do {
                execution = try chain.block(transactions, signers: signers)
            } catch {
                Issue.record("seed \(seed), block \(blockIndex): \(error)")
                return
            }
            for (receipt, encoded) in zip(execution.receipts, execution.transactions) where receipt.succeeded {
                if let kind = try? SignedTransaction.decode(encoded).transaction.messages.first?.kind {
                    successes[kind, default: 0] += 1
                }
            }
        }
        // The run exercised the messages (kinds 1–10), not only their rejections.
        for kind in [UInt16(1), 3, 4, 5, 6, 9] {
            #expect(successes[kind, default: 0] > 0, "seed \(seed): kind \(kind)")
        }
        #expect(try chain.totals().minted > 0 && chain.totals().burned > 0, "seed \(seed)")

        // Export and import into a fresh store: the same state root.
        let exported = try chain.machine.exportGenesis(root: chain.root)
        let store = MemoryStore(columns: [StoreColumn.default] + SparseMerkleTree.defaultColumns)
        let machine = try Staking.l1StateMachine(
            chainId: testChainID, tree: SparseMerkleTree(store: store), fees: .free)
        var batch = WriteBatch()
        #expect(try machine.initGenesis(exported, batch: &batch) == chain.root, "seed \(seed)")
        let staking = try #require(exported[Staking.moduleName])
        let decoded = try Canonical.decode(Staking.Genesis.self, from: staking)
        #expect(Canonical.encode(decoded) == staking)
    }
}
