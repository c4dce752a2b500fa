import ChainConfiguration
import Primitives
import Testing

@Suite("Genesis")
struct GenesisTests {
    /// The reference configuration of the issue, verbatim.
    static let referenceText = """
        [chain]
        chain_id = "aether-test-1"
        slot_ms = 500
        block_bytes_max = 2_000_000
        epoch_slots = 43200
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
        """

    static let key0 = String(repeating: "a1", count: 32)
    static let key1 = String(repeating: "b2", count: 32)
    static let vrf0 = String(repeating: "c3", count: 32)
    static let vrf1 = String(repeating: "d4", count: 32)
    static let operator0 = String(repeating: "01", count: 20)
    static let operator1 = String(repeating: "02", count: 20)

    /// The reference plus what a chain needs to start (line numbers below are this text's).
    static let fullText =
        referenceText.replacingFirst(
            "epoch_slots = 43200", with: "epoch_slots = 43200\ngenesis_time_ms = 1_700_000_000_000")
            + """

            [staking]
            unbonding_delay_epochs = 3
            reward_per_epoch = 1_000_000
            min_commission = "0"
            max_commission = "0.2"
            min_self_bond = 1_000
            downtime_window_slots = 1_000
            jail_threshold_slots = 500
            jail_epochs = 1
            max_validators = 100

            [[validators]]
            name = "validator-0"
            public_key = "\(key0)"
            vrf_public_key = "\(vrf0)"
            stake = 5_000_000
            operator = "\(operator0)"
            commission = "0.05"

            [[validators]]
            name = "validator-1"
            public_key = "\(key1)"
            vrf_public_key = "\(vrf1)"
            stake = 3_000_000
            operator = "\(operator1)"

            [[accounts]]
            address = "\(String(repeating: "0a", count: 20))"
            aic = 1_000_000_000
            swr = 10_000

            [[accounts]]
            public_key = "\(String(repeating: "0b", count: 32))"
            aic = 5

            [[authorities]]
            address = "\(String(repeating: "0a", count: 20))"
            denomination = "aic"
            mint = true
            """

    @Test("the reference configuration loads with exact fractions, and names what a chain still needs")
    func reference() throws {
        let genesis = try Genesis.load(Self.fullText)
        #expect(genesis.chain.chainId == "aether-test-1")
        #expect(genesis.chain.slotMilliseconds == 500)
        #expect(genesis.chain.blockBytesMax == 2_000_000)
        #expect(genesis.chain.epochSlots == 43_200)
        #expect(genesis.chain.genesisTimeMilliseconds == 1_700_000_000_000)
        // Without tx_signatures, a chain keeps libsodium's rule (ADR 0018); with it, the one named.
        #expect(genesis.chain.transactionSignatures == .cofactorless)
        let cofactored = Self.variant("epoch_slots = 43200", "epoch_slots = 43200\ntx_signatures = \"cofactored\"")
        #expect(try Genesis.load(cofactored).chain.transactionSignatures == .cofactored)
        #expect(try Genesis.load(Genesis.load(cofactored).render()).chain.transactionSignatures == .cofactored)
        #expect(genesis.consensus.tau == (try Ratio(4, 5)))
        #expect(genesis.consensus.quorum == Ratio.twoThirds)
        #expect(genesis.consensus.slashDouble == (try Ratio(1, 20)))
        #expect(genesis.consensus.leakDowntime == (try Ratio(1, 100_000)))
        #expect(genesis.fees == Genesis.FeeParameters(a: 10_000, b: 5, c: 2, d: 1))
        #expect(genesis.rent == Genesis.RentParameters(rhoPerBytePerEpoch: 2, horizonEpochs: 12))
        #expect(genesis.staking.reward == .fixed(1_000_000))
        #expect(genesis.staking.maxCommission == (try Ratio(1, 5)))
        #expect(genesis.validators.count == 2)
        #expect(genesis.validators[0].commission == (try Ratio(1, 20)))
        #expect(genesis.validators[1].commission == Ratio.zero)  // defaults to min_commission
        #expect(genesis.validators[0].publicKey.bytes == (try Hex.decode(Self.key0)))
        #expect(
            genesis.accounts[1].id == .publicKey(try Ed25519.PublicKey(Hex.decode(String(repeating: "0b", count: 32)))))
        #expect(genesis.accounts[1].swr == 0)
        #expect(
            genesis.authorities == [
                Genesis.Authority(
                    address: try Hex.decode(String(repeating: "0a", count: 20)), token: .aic, mint: true, burn: false)
            ])

        // The reference alone is not a startable chain: the first missing piece is named.
        do {
            _ = try Genesis.load(Self.referenceText)
            Issue.record("the reference without genesis time, staking and validators was accepted")
        } catch {
            #expect(error.kind == .missingKey)
            #expect(error.key == "chain.genesis_time_ms")
            #expect(error.position?.line == 1)
            #expect(error.description.hasPrefix("genesis.toml:1:1: chain.genesis_time_ms: missing in [chain]"))
        }
    }

    @Test("render writes a file that loads back to the same genesis, and rendering is stable")
    func roundTrip() throws {
        var genesis = try Genesis.load(Self.fullText)
        let rendered = genesis.render()
        #expect(try Genesis.load(rendered) == genesis)
        #expect(try Genesis.load(rendered).render() == rendered)
        #expect(rendered.contains("slash_double = \"0.05\""))
        #expect(rendered.contains("quorum = \"2/3\""))
        #expect(rendered.contains("block_bytes_max = 2_000_000"))

        // Inflation instead of a fixed reward, names that need escaping, no accounts.
        genesis.staking.reward = .inflation(try Ratio(1, 3_000))
        genesis.validators[0].name = "quote \" backslash \\ tab \t é"
        genesis.accounts = []
        genesis.authorities = [
            Genesis.Authority(address: [UInt8](repeating: 9, count: 20), token: .swr, mint: false, burn: true)
        ]
        try genesis.validate()
        #expect(try Genesis.load(genesis.render()) == genesis)
    }

    /// Replaces the first occurrence of `old` in the full text (which must contain it).
    static func variant(_ old: String, _ new: String) -> String {
        #expect(fullText.contains(old), "the test text has no '\(old)'")
        return fullText.replacingFirst(old, with: new)
    }

    /// (text, kind, key, line, message fragment)
    static let invalidGenesis: [(String, ConfigurationError.Kind, String, Int?, String)] = [
        (variant("slot_ms = 500", "slot_ms = 0"), .invalidValue, "chain.slot_ms", 3, "must be positive, found 0"),
        (variant("slot_ms = 500", "slot_ms = -500"), .invalidValue, "chain.slot_ms", 3, "must not be negative"),
        (
            variant("slot_ms = 500", "slot_ms = \"500\""), .wrongType, "chain.slot_ms", 3,
            "expected a non-negative integer, found a string"
        ),
        (variant("slot_ms = 500", "slot_ms = 500.0"), .wrongType, "chain.slot_ms", 3, "found a float"),
        (
            variant("slot_ms = 500", "slot_ms = 500\nslot_seconds = 1"), .unknownKey, "chain.slot_seconds", 4,
            "unknown key in [chain]"
        ),
        (
            variant("chain_id = \"aether-test-1\"", "chain_id = \"\""), .invalidValue, "chain.chain_id", 2,
            "must be 1-64 characters"
        ),
        (
            variant("chain_id = \"aether-test-1\"", "chain_id = \"has space\""), .invalidValue, "chain.chain_id", 2,
            "letters, digits"
        ),
        (
            variant("block_bytes_max = 2_000_000", "block_bytes_max = 10"), .invalidValue, "chain.block_bytes_max", 4,
            "between 1024"
        ),
        (variant("epoch_slots = 43200", "epoch_slots = 0"), .invalidValue, "chain.epoch_slots", 5, "must be positive"),
        (
            variant("epoch_slots = 43200", "epoch_slots = 43200\ntx_signatures = \"batch\""), .invalidValue,
            "chain.tx_signatures", 6, "must be \"cofactorless\" or \"cofactored\""
        ),
        (
            variant("epoch_slots = 43200", "epoch_slots = 43200\ntx_signatures = 1"), .wrongType, "chain.tx_signatures",
            6,
            "found an integer"
        ),
        (variant("tau = 0.8", "tau = 1.5"), .invalidValue, "consensus.tau", 8, "between 0 and 1, found 1.5"),
        (variant("tau = 0.8", "tau = true"), .wrongType, "consensus.tau", 8, "expected a fraction"),
        (variant("quorum = \"2/3\"", "quorum = \"1/2\""), .invalidValue, "consensus.quorum", 9, "more than 1/2"),
        (variant("quorum = \"2/3\"", "quorum = \"3/4\""), .invalidValue, "consensus.quorum", 9, "must be \"2/3\""),
        (
            variant("quorum = \"2/3\"", "quorum = \"2/0\""), .invalidValue, "consensus.quorum", 9,
            "the denominator is zero"
        ),
        (
            variant("slash_double = \"0.05\"", "slash_double = \"5%\""), .invalidValue, "consensus.slash_double", 10,
            "is not a fraction"
        ),
        (
            variant("slash_double = \"0.05\"", "slash_double = \"-0.05\""), .invalidValue, "consensus.slash_double", 10,
            "negative"
        ),
        (
            variant("leak_downtime = \"0.00001\"", "leak_downtime = 2"), .invalidValue, "consensus.leak_downtime", 11,
            "between 0 and 1"
        ),
        (variant("d = 1", ""), .missingKey, "fees.d", 12, "missing in [fees]"),
        (
            variant("horizon_epochs = 12", "horizon_epochs = 0"), .invalidValue, "rent.horizon_epochs", 19,
            "must be positive"
        ),
        (variant("[rent]", "[rents]"), .missingKey, "rent", 1, "missing in the top level"),
        (
            variant("unbonding_delay_epochs = 3", "unbonding_delay_epochs = 1"), .invalidValue,
            "staking.unbonding_delay_epochs", 21, "at least 2"
        ),
        (
            variant("reward_per_epoch = 1_000_000", "reward_per_epoch = 1\ninflation_per_epoch = \"0.01\""),
            .invalidValue, "staking.inflation_per_epoch", 23, "not both"
        ),
        (variant("reward_per_epoch = 1_000_000", ""), .missingKey, "staking.reward_per_epoch", 20, "reward_per_epoch"),
        (
            variant("min_commission = \"0\"", "min_commission = \"0.5\""), .invalidValue, "staking.min_commission", 23,
            "must not exceed max_commission"
        ),
        (
            variant("jail_threshold_slots = 500", "jail_threshold_slots = 1001"), .invalidValue,
            "staking.jail_threshold_slots", 27, "between 1 and downtime_window_slots"
        ),
        (
            variant("max_validators = 100", "max_validators = 0"), .invalidValue, "staking.max_validators", 29,
            "between 1 and 10000"
        ),
        (
            variant("stake = 5_000_000", "stake = 0"), .invalidValue, "validators[0].stake", 35,
            "must be positive, found 0"
        ),
        (
            variant("stake = 5_000_000", "stake = 999"), .invalidValue, "validators[0].stake", 35,
            "at least min_self_bond (1000)"
        ),
        (
            variant("public_key = \"\(key1)\"", "public_key = \"\(key0)\""), .invalidValue, "validators[1].public_key",
            41, "already the key of validators[0]"
        ),
        (
            variant("vrf_public_key = \"\(vrf1)\"", "vrf_public_key = \"\(vrf0)\""), .invalidValue,
            "validators[1].vrf_public_key", 42, "already the VRF key"
        ),
        (
            variant("operator = \"\(operator1)\"", "operator = \"\(operator0)\""), .invalidValue,
            "validators[1].operator", 44, "one validator per operator"
        ),
        (
            variant("name = \"validator-1\"", "name = \"validator-0\""), .invalidValue, "validators[1].name", 40,
            "already the name"
        ),
        (
            variant("public_key = \"\(key0)\"", "public_key = \"abc\""), .invalidValue, "validators[0].public_key", 33,
            "64 hex digits"
        ),
        (
            variant("public_key = \"\(key0)\"", "public_key = 12"), .wrongType, "validators[0].public_key", 33,
            "found an integer"
        ),
        (
            variant("commission = \"0.05\"", "commission = \"0.25\""), .invalidValue, "validators[0].commission", 37,
            "between min_commission"
        ),
        (
            variant("commission = \"0.05\"", "commission = \"0.05\"\nmoniker = \"x\""), .unknownKey,
            "validators[0].moniker", 38, "unknown key in [validators[0]]"
        ),
        (variant("aic = 5\n", "aic = 0\n"), .invalidValue, "accounts[1]", nil, "needs a positive aic or swr balance"),
        (
            variant(
                "public_key = \"\(String(repeating: "0b", count: 32))\"",
                "address = \"\(String(repeating: "0a", count: 20))\""), .invalidValue, "accounts[1]", nil,
            "already listed as accounts[0]"
        ),
        (
            variant("aic = 1_000_000_000", "aic = 1_000_000_000\npublic_key = \"\(key0)\""), .invalidValue,
            "accounts[0].public_key", 49, "not both"
        ),
        (variant("mint = true", "mint = false"), .invalidValue, "authorities[0]", nil, "grants nothing"),
        (
            variant("denomination = \"aic\"", "denomination = \"eth\""), .invalidValue, "authorities[0].denomination",
            57, "expected \"aic\" or \"swr\""
        ),
        (
            variant("swr = 10_000", "swr = 18_446_744_073_701_551_616"), .invalidValue, "accounts[0].swr", 49,
            "would exceed"
        ),
        (variant("[fees]", "[fees]\n[fees]"), .syntax, "", 13, "table [fees] is defined twice"),
        (variant("tau = 0.8", "tau = 0.8 0.9"), .syntax, "", 8, "expected the end of the line"),
    ]

    @Test("every rule is checked on load with the key, the line and a clear message")
    func refusesInvalidGenesis() {
        for (text, kind, key, line, fragment) in Self.invalidGenesis {
            do {
                _ = try Genesis.load(text)
                Issue.record("accepted a genesis that should fail at \(key): \(fragment)")
            } catch {
                #expect(error.kind == kind, "\(error)")
                #expect(error.key == key, "\(error)")
                if let line { #expect(error.position?.line == line, "\(error)") }
                #expect(error.message.contains(fragment), "\(error)")
            }
        }
    }

    @Test("a genesis without validators is refused")
    func needsValidators() throws {
        var genesis = try Genesis.load(Self.fullText)
        genesis.validators = []
        #expect(throws: ConfigurationError.self) { try genesis.validate() }
        do { try genesis.validate() } catch {
            #expect(error.key == "validators")
            #expect(error.message.contains("at least one [[validators]]"))
        }
    }
}

extension String {
    /// This string with the first occurrence of `old` replaced by `new`.
    func replacingFirst(_ old: String, with new: String) -> String {
        guard let range = firstRange(of: old) else { return self }
        var copy = self
        copy.replaceSubrange(range, with: new)
        return copy
    }
}
