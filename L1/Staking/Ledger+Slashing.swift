internal import Chain
internal import ChainConfiguration
internal import Consensus
internal import Primitives

extension Ledger {
    // MARK: - Evidence

    /// Checks double-sign evidence, attributes it, slashes by `slashDouble` and tombstones.
    ///
    /// L1 evidence (`domain` empty) must be for this chain, from an epoch at most
    /// `unbondingDelayEpochs − 1` back (so every stake that was at risk is still in the pool), and
    /// its signer must be in that epoch's set. Domain evidence must be for the domain's chain and
    /// its signer a member of the domain's opt-in set, or a member that left less than the unbonding
    /// delay ago; its epoch is the domain's, so the infraction is taken to be in the current L1 epoch.
    func submitEvidence(_ evidence: Evidence, domain: String, reporter: Address) throws {
        let id = evidence.id
        guard try store.get(Staking.Keys.usedEvidence(id)) == nil else { throw StakingError.evidenceAlreadyUsed(id) }
        guard let operatorAddress = try Staking.operatorAddress(ofKey: evidence.validator, in: store) else {
            throw StakingError.unknownValidatorKey(evidence.validator)
        }
        let infractionEpoch: UInt64
        if domain.isEmpty {
            guard evidence.chainId == block.chainId else {
                throw StakingError.evidenceWrongChain(expected: block.chainId, actual: evidence.chainId)
            }
            guard evidence.epoch <= epoch else {
                throw StakingError.evidenceFromFuture(epoch: evidence.epoch, current: epoch)
            }
            let maximumAge = parameters.unbondingDelayEpochs - 1
            guard epoch - evidence.epoch <= maximumAge else {
                throw StakingError.evidenceTooOld(epoch: evidence.epoch, current: epoch, maximumAge: maximumAge)
            }
            guard let set = try Staking.epochValidators(evidence.epoch, in: store),
                set.member(withKey: evidence.validator) != nil
            else { throw StakingError.notInValidatorSet(key: evidence.validator, epoch: evidence.epoch) }
            infractionEpoch = evidence.epoch
        } else {
            try checkDomain(domain)
            guard evidence.chainId == domain else {
                throw StakingError.evidenceWrongChain(expected: domain, actual: evidence.chainId)
            }
            let members = try Staking.domainMembers(domain, in: store)
            guard let member = members.first(where: { $0.operatorAddress == operatorAddress }),
                isAnswerable(member)
            else { throw StakingError.notDomainMember(validator: operatorAddress, domain: domain) }
            infractionEpoch = epoch
        }
        var validator = try validator(operatorAddress)
        guard !validator.tombstoned else { throw StakingError.tombstoned(operatorAddress) }
        let burned = try slash(&validator, infractionEpoch: infractionEpoch, fraction: parameters.slashDouble)
        validator.tombstoned = true
        validator.jailed = true
        validator.jailedUntilEpoch = .max
        try Staking.saveValidator(validator, in: store)
        try store.set(Staking.Keys.usedEvidence(id), [1])
        emit(
            "slash",
            [
                ("validator", operatorAddress.description), ("reason", "double_sign"),
                ("domain", domain.isEmpty ? block.chainId : domain), ("infraction_epoch", String(infractionEpoch)),
                ("burned", String(burned)), ("evidence", id.description), ("reporter", reporter.description),
            ])
    }

    /// Slashes the poster of a domain block whose square a bad-encoding proof showed to be
    /// badly encoded: `slashDouble` of its stake, jailed and tombstoned, as for double-signing.
    /// Returns the SWR burned (0 for a validator tombstoned already).
    func slashBadEncoding(_ poster: Address, domain: String, height: UInt64, reporter: Address) throws -> UInt64 {
        var validator = try validator(poster)
        guard !validator.tombstoned else { return 0 }
        let burned = try slash(&validator, infractionEpoch: epoch, fraction: parameters.slashDouble)
        validator.tombstoned = true
        validator.jailed = true
        validator.jailedUntilEpoch = .max
        try Staking.saveValidator(validator, in: store)
        emit(
            "slash",
            [
                ("validator", poster.description), ("reason", "bad_encoding"), ("domain", domain),
                ("domain_height", String(height)), ("infraction_epoch", String(epoch)), ("burned", String(burned)),
                ("reporter", reporter.description),
            ])
        return burned
    }

    /// A domain member is answerable for the domain until `unbondingDelayEpochs` after leaving.
    func isAnswerable(_ member: Staking.DomainMember) -> Bool {
        guard let left = member.leftEpoch else { return true }
        return epoch - min(epoch, left) < parameters.unbondingDelayEpochs
    }

    // MARK: - Slashing

    /// Burns `fraction` of what `validator` had at stake in `infractionEpoch`; returns the total burned.
    ///
    /// - Bonded tokens: `⌊tokens × fraction⌋`, shared by all delegators through the share price.
    /// - Unbonding entries created in epoch `infractionEpoch − 1` or later: each loses
    ///   `⌊amount × fraction⌋`. Stake that leaves in epoch `c` still counts in the sets of `c` and
    ///   `c + 1` (fixed earlier), so it was at risk in those epochs; older entries were not.
    /// - Redelegations away from the validator created in `infractionEpoch − 1` or later: the
    ///   delegator's locked shares at the destination lose up to `⌊amount × fraction⌋` (at most
    ///   what the locked shares are worth), burned from the destination's tokens.
    func slash(_ validator: inout Staking.Validator, infractionEpoch: UInt64, fraction: Ratio) throws -> UInt64 {
        let address = validator.operatorAddress
        let firstCountedEpoch = infractionEpoch == 0 ? 0 : infractionEpoch - 1
        var burned: UInt64 = 0

        let bonded = fraction.floorMultiply(validator.tokens) ?? validator.tokens
        validator.tokens -= bonded
        burned += bonded

        var entries = try Staking.unbondingEntries(of: address, in: store)
        for index in entries.indices where entries[index].creationEpoch >= firstCountedEpoch {
            let cut = fraction.floorMultiply(entries[index].amount) ?? entries[index].amount
            entries[index].amount -= cut
            burned = StakeMath.add(burned, cut) ?? .max
        }
        // Entries stay (possibly at zero) until they mature: the maturity queue names them.
        try Staking.saveList(entries, Staking.Keys.unbonding(address), in: store)

        var redelegations = try Staking.redelegations(from: address, in: store)
        for index in redelegations.indices where redelegations[index].creationEpoch >= firstCountedEpoch {
            let target = fraction.floorMultiply(redelegations[index].amount) ?? redelegations[index].amount
            let cut = try slashRedelegation(redelegations[index], source: address, target: target)
            redelegations[index].amount -= min(target, redelegations[index].amount)
            burned = StakeMath.add(burned, cut) ?? .max
        }
        try Staking.saveList(redelegations, Staking.Keys.redelegations(address), in: store)

        try stores.burn(burned, from: Staking.pool)
        try addBurned(burned)
        return burned
    }

    /// Burns up to `target` from the shares a redelegation locked at its destination.
    func slashRedelegation(_ entry: Staking.RedelegationEntry, source: Address, target: UInt64) throws -> UInt64 {
        guard target > 0, var destination = try Staking.validator(entry.destination, in: store),
            var delegation = try Staking.delegation(entry.delegator, to: entry.destination, in: store),
            let lockIndex = delegation.incoming.firstIndex(where: {
                $0.source == source && $0.creationEpoch == entry.creationEpoch
            })
        else { return 0 }
        let locked = delegation.incoming[lockIndex].shares
        let cut = min(target, destination.value(ofShares: locked))
        guard cut > 0 else { return 0 }
        // Shares removed round up (against the slashed delegator), capped by the locked shares.
        let sharesOut = min(StakeMath.mulDivCeil(cut, destination.shares, destination.tokens) ?? locked, locked)
        let tokensOut = sharesOut == destination.shares ? destination.tokens : cut
        destination.shares -= sharesOut
        destination.tokens -= tokensOut
        delegation.shares -= sharesOut
        delegation.incoming[lockIndex].shares -= sharesOut
        try Staking.saveValidator(destination, in: store)
        try Staking.saveDelegation(delegation, entry.delegator, entry.destination, in: store)
        return tokensOut
    }

    func addBurned(_ amount: UInt64) throws(StateAccessError) {
        guard amount > 0 else { return }
        var totals = try Staking.totals(in: store)
        totals.burned = StakeMath.add(totals.burned, amount) ?? .max
        try Staking.save(totals, Staking.Keys.totals, in: store)
    }

    func addMinted(_ amount: UInt64) throws(StateAccessError) {
        guard amount > 0 else { return }
        var totals = try Staking.totals(in: store)
        totals.minted = StakeMath.add(totals.minted, amount) ?? .max
        try Staking.save(totals, Staking.Keys.totals, in: store)
    }
}
