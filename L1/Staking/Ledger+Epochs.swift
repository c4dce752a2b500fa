internal import Chain
internal import ChainConfiguration
internal import Consensus
internal import Primitives

extension Ledger {
    // MARK: - Begin and end block

    /// Checks the block's epoch, charges the parent's missing signers, counts the block.
    static func beginBlock(stores: StakingStores, block: BlockContext) throws {
        let store = stores.staking
        let parameters = try Staking.parameters(in: store)
        var progress = try Staking.progress(in: store)
        let blockEpoch = progress.closed ? progress.epoch + 1 : progress.epoch
        if let given = block.epoch, given != blockEpoch {
            throw StakingError.epochMismatch(block: given, expected: blockEpoch)
        }
        let ledger = Ledger(stores: stores, parameters: parameters, epoch: blockEpoch, block: block)
        // The parent is the last executed block, in `progress.epoch`; its set signed the certificate.
        if !block.parentSigners.isEmpty, let set = try Staking.epochValidators(progress.epoch, in: store) {
            let signers = Set(block.parentSigners)
            for member in set.members where !signers.contains(member.publicKey) {
                try ledger.recordMiss(member.operatorAddress)
            }
        }
        if progress.closed { progress = Staking.EpochProgress(epoch: blockEpoch, blocks: 0, closed: false) }
        progress.blocks += 1
        try Staking.save(progress, Staking.Keys.progress, in: store)
    }

    /// Closes the epoch after its last block.
    static func endBlock(stores: StakingStores, block: BlockContext) throws {
        let store = stores.staking
        let parameters = try Staking.parameters(in: store)
        var progress = try Staking.progress(in: store)
        guard !progress.closed, progress.blocks >= parameters.epochSlots else { return }
        let ledger = Ledger(stores: stores, parameters: parameters, epoch: progress.epoch, block: block)
        try ledger.closeEpoch()
        progress.closed = true
        try Staking.save(progress, Staking.Keys.progress, in: store)
    }

    // MARK: - Liveness

    /// One missed block: counted in the validator's window and epoch; jails at the threshold.
    func recordMiss(_ address: Address) throws {
        guard var validator = try Staking.validator(address, in: store), !validator.jailed, !validator.tombstoned else {
            return
        }
        let window = block.height / parameters.downtimeWindow
        if validator.livenessWindow != window {
            validator.livenessWindow = window
            validator.missedInWindow = 0
        }
        validator.missedInWindow += 1
        validator.missedInEpoch = StakeMath.add(validator.missedInEpoch, 1) ?? .max
        if validator.missedInWindow >= parameters.jailThreshold {
            validator.jailed = true
            let (until, overflow) = epoch.addingReportingOverflow(parameters.jailEpochs)
            validator.jailedUntilEpoch = overflow ? .max : until
            validator.missedInWindow = 0
            emit(
                "jail",
                [
                    ("validator", address.description), ("reason", "downtime"),
                    ("jailed_until_epoch", String(validator.jailedUntilEpoch)),
                ])
        }
        try Staking.saveValidator(validator, in: store)
    }

    // MARK: - Closing an epoch

    /// At the end of epoch `epoch`: the downtime leak, rewards, matured unbonding and
    /// redelegations, then the L1 and domain validator sets of `epoch + 2`, and pruning.
    func closeEpoch() throws {
        let validators = try Staking.validatorList(in: store)
        let leaked = try chargeLeaks(validators)
        let minted = try payRewards()
        try mature()
        let set = try chooseSet(validators)
        try chooseDomainSets()
        try prune()
        emit(
            "epoch_end",
            [
                ("epoch", String(epoch)), ("minted", String(minted)), ("leaked", String(leaked)),
                ("next_set_epoch", String(epoch + 2)), ("next_set_size", String(set.members.count)),
                ("next_set_stake", String(set.totalStake)),
            ])
    }

    /// Burns `⌊tokens × min(1, missed × λ)⌋` of each validator that missed blocks this epoch.
    func chargeLeaks(_ validators: [Address]) throws -> UInt64 {
        var total: UInt64 = 0
        let lambda = parameters.leakDowntime
        for address in validators {
            guard var validator = try Staking.validator(address, in: store), validator.missedInEpoch > 0 else {
                continue
            }
            let missed = validator.missedInEpoch
            validator.missedInEpoch = 0
            // missed × λ as a fraction; at or above 1 the whole bonded stake leaks.
            let (scaled, overflow) = missed.multipliedReportingOverflow(by: lambda.numerator)
            let leak =
                overflow || scaled >= lambda.denominator
                ? validator.tokens : (StakeMath.mulDivFloor(validator.tokens, scaled, lambda.denominator) ?? 0)
            validator.tokens -= leak
            try Staking.saveValidator(validator, in: store)
            guard leak > 0 else { continue }
            total += leak  // bounded by the pool
            emit("leak", [("validator", address.description), ("missed", String(missed)), ("burned", String(leak))])
        }
        try stores.burn(total, from: Staking.pool)
        try addBurned(total)
        return total
    }

    /// Mints the epoch reward to the validators of this epoch's set, pro rata to their set stake.
    ///
    /// `R` is the fixed reward or `⌊supply × rate⌋` (capped so the supply cannot overflow). Each
    /// eligible member gets `⌊R × stake / totalStake⌋`; the operator gets `⌊that × commission⌋`
    /// minted to its account and the rest is minted into the pool and added to the validator's
    /// tokens (compounding for every share). Shares of jailed or tombstoned members and the
    /// rounding remainders are not minted.
    func payRewards() throws -> UInt64 {
        guard let set = try Staking.epochValidators(epoch, in: store), !set.members.isEmpty else { return 0 }
        let supply = try stores.supply()
        var reward: UInt64 =
            switch parameters.reward {
            case .fixed(let amount): amount
            case .inflation(let rate): rate.floorMultiply(supply) ?? 0
            }
        reward = min(reward, UInt64.max - supply)
        let totalStake = set.totalStake
        guard reward > 0, totalStake > 0 else { return 0 }
        var minted: UInt64 = 0
        for member in set.members {
            guard var validator = try Staking.validator(member.operatorAddress, in: store),
                !validator.jailed, !validator.tombstoned, validator.shares > 0
            else { continue }
            let share = StakeMath.mulDivFloor(reward, member.stake, totalStake) ?? 0
            guard share > 0 else { continue }
            let commission = validator.commission.floorMultiply(share) ?? share
            let delegators = share - commission
            try stores.mint(commission, to: member.operatorAddress)
            try stores.mint(delegators, to: Staking.pool)
            validator.tokens += delegators  // the pool, and so every stake, fits in the supply
            try Staking.saveValidator(validator, in: store)
            minted += share
            emit(
                "reward",
                [
                    ("validator", member.operatorAddress.description), ("epoch", String(epoch)),
                    ("reward", String(share)), ("commission", String(commission)),
                ])
        }
        try addMinted(minted)
        return minted
    }

    /// Pays unbonding entries and ends redelegations that mature when this epoch closes.
    func mature() throws {
        let queue = try Staking.maturityQueue(epoch, in: store)
        for address in queue.unbonding.addresses {
            var entries = try Staking.unbondingEntries(of: address, in: store)
            for entry in entries where entry.maturityEpoch <= epoch {
                try stores.send(entry.amount, from: Staking.pool, to: entry.delegator)
                emit(
                    "unbonding_matured",
                    [
                        ("delegator", entry.delegator.description), ("validator", address.description),
                        ("amount", String(entry.amount)),
                    ])
            }
            entries.removeAll { $0.maturityEpoch <= epoch }
            try Staking.saveList(entries, Staking.Keys.unbonding(address), in: store)
        }
        for source in queue.redelegations.addresses {
            var entries = try Staking.redelegations(from: source, in: store)
            for entry in entries where entry.maturityEpoch <= epoch {
                guard var delegation = try Staking.delegation(entry.delegator, to: entry.destination, in: store)
                else { continue }
                delegation.incoming.removeAll { $0.source == source && $0.maturityEpoch <= epoch }
                try Staking.saveDelegation(delegation, entry.delegator, entry.destination, in: store)
            }
            entries.removeAll { $0.maturityEpoch <= epoch }
            try Staking.saveList(entries, Staking.Keys.redelegations(source), in: store)
        }
        try store.delete(Staking.Keys.maturity(epoch))
    }

    /// The top `maxValidators` eligible validators by tokens (ties: ascending key).
    func topValidators(_ candidates: [Staking.Validator]) -> Staking.EpochValidators {
        Self.topValidators(candidates, maxValidators: parameters.maxValidators)
    }

    /// The top `maxValidators` eligible validators by tokens (ties: ascending key).
    static func topValidators(_ candidates: [Staking.Validator], maxValidators: UInt64) -> Staking.EpochValidators {
        let chosen =
            candidates
            .filter(\.isEligible)
            .sorted { ($0.tokens, $1.publicKey) > ($1.tokens, $0.publicKey) }
            .prefix(Int(clamping: maxValidators))
        return Staking.EpochValidators(
            chosen.map {
                Staking.SetMember(
                    operatorAddress: $0.operatorAddress, publicKey: $0.publicKey, vrfPublicKey: $0.vrfPublicKey,
                    stake: $0.tokens)
            })
    }

    /// Fixes the L1 set of `epoch + 2`; when nobody qualifies, repeats the set of `epoch + 1`
    /// so the chain keeps a validator set.
    func chooseSet(_ addresses: [Address]) throws -> Staking.EpochValidators {
        var validators: [Staking.Validator] = []
        for address in addresses {
            if let validator = try Staking.validator(address, in: store) { validators.append(validator) }
        }
        var set = topValidators(validators)
        if set.members.isEmpty {
            set = try Staking.epochValidators(epoch + 1, in: store) ?? set
            emit("validator_set_repeated", [("epoch", String(epoch + 2))])
        }
        guard !set.members.isEmpty else {
            throw StakingError.corruptState("no validator set to carry into epoch \(epoch + 2)")
        }
        try Staking.save(set, Staking.Keys.validatorSet(epoch + 2), in: store)
        return set
    }

    /// Fixes each domain's set of `epoch + 2` from its current members; drops departed members
    /// no longer answerable.
    func chooseDomainSets() throws {
        for domain in try Staking.domainList(in: store) {
            var members = try Staking.domainMembers(domain, in: store)
            // Answerable after the close: until `unbondingDelayEpochs` after leaving.
            members.removeAll {
                guard let left = $0.leftEpoch else { return false }
                return epoch + 1 - min(epoch + 1, left) >= parameters.unbondingDelayEpochs
            }
            try Staking.saveList(members, Staking.Keys.domainMembers(domain), in: store)
            var validators: [Staking.Validator] = []
            for member in members where member.leftEpoch == nil {
                if let validator = try Staking.validator(member.operatorAddress, in: store) {
                    validators.append(validator)
                }
            }
            let set = topValidators(validators)
            let key = Staking.Keys.domainSet(domain, epoch: epoch + 2)
            if set.members.isEmpty {
                try store.delete(key)
            } else {
                try Staking.save(set, key, in: store)
            }
        }
    }

    /// Forgets the sets no evidence can name any more: after this close the current epoch is
    /// `epoch + 1`, and evidence may reach back `unbondingDelayEpochs − 1` epochs.
    func prune() throws {
        let (next, overflow) = epoch.addingReportingOverflow(1)
        guard !overflow, next >= parameters.unbondingDelayEpochs else { return }
        let old = next - parameters.unbondingDelayEpochs
        try store.delete(Staking.Keys.validatorSet(old))
        for domain in try Staking.domainList(in: store) {
            try store.delete(Staking.Keys.domainSet(domain, epoch: old))
        }
    }
}
