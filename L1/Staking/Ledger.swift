internal import Chain
internal import ChainConfiguration
internal import Consensus
internal import Primitives

/// One block's (or one message's) view of staking: the stores, the parameters and the epoch the
/// block is in. Every operation loads what it changes, checks, and writes it back; amounts use
/// checked arithmetic and the rounding of ADR 0006.
struct Ledger {
    let stores: StakingStores
    let parameters: Staking.Parameters
    /// The epoch of the block being executed.
    let epoch: UInt64
    let block: BlockContext

    var store: ModuleStore { stores.staking }

    /// The ledger of a message: `beginBlock` has already counted the block into its epoch.
    init(stores: StakingStores, block: BlockContext) throws(StateAccessError) {
        self.stores = stores
        self.parameters = try Staking.parameters(in: stores.staking)
        self.epoch = try Staking.progress(in: stores.staking).epoch
        self.block = block
    }

    init(stores: StakingStores, parameters: Staking.Parameters, epoch: UInt64, block: BlockContext) {
        self.stores = stores
        self.parameters = parameters
        self.epoch = epoch
        self.block = block
    }

    // MARK: - Records

    func validator(_ address: Address) throws -> Staking.Validator {
        guard let validator = try Staking.validator(address, in: store) else {
            throw StakingError.unknownValidator(address)
        }
        return validator
    }

    func emit(_ kind: String, _ attributes: [(String, String)]) {
        store.emit(kind, attributes.map { EventAttribute($0.0, $0.1) })
    }

    /// The maturity epoch of something unbonded or redelegated in this epoch.
    var maturityEpoch: UInt64 {
        let (sum, overflow) = epoch.addingReportingOverflow(parameters.unbondingDelayEpochs)
        return overflow ? .max : sum
    }

    // MARK: - Create, bond, delegate

    func createValidator(_ message: Staking.CreateValidator, _ sender: Address) throws {
        guard try Staking.validator(sender, in: store) == nil else { throw StakingError.validatorExists(sender) }
        guard try Staking.operatorAddress(ofKey: message.publicKey, in: store) == nil else {
            throw StakingError.keyInUse(message.publicKey)
        }
        guard message.commission >= parameters.minCommission, message.commission <= parameters.maxCommission else {
            throw StakingError.commissionOutOfBounds(
                commission: message.commission, minimum: parameters.minCommission, maximum: parameters.maxCommission)
        }
        guard message.selfBond >= parameters.minSelfBond else {
            throw StakingError.selfBondTooSmall(amount: message.selfBond, minimum: parameters.minSelfBond)
        }
        let possession = Staking.CreateValidator.possessionMessage(
            chainId: block.chainId, operatorAddress: sender, vrfPublicKey: message.vrfPublicKey)
        guard message.publicKey.isValidSignature(message.possessionProof, for: possession) else {
            throw StakingError.invalidPossessionProof
        }
        try stores.send(message.selfBond, from: sender, to: Staking.pool)
        let validator = Staking.Validator(
            operatorAddress: sender, name: message.name, publicKey: message.publicKey,
            vrfPublicKey: message.vrfPublicKey, commission: message.commission, tokens: message.selfBond,
            shares: message.selfBond)
        try Staking.saveValidator(validator, in: store)
        try store.set(Staking.Keys.keyIndex(message.publicKey), sender.bytes)
        var list = AddressList(try Staking.validatorList(in: store))
        list.insert(sender)
        try Staking.save(list, Staking.Keys.validatorList, in: store)
        try Staking.saveDelegation(Staking.Delegation(shares: message.selfBond), sender, sender, in: store)
        emit(
            "create_validator",
            [
                ("validator", sender.description), ("public_key", message.publicKey.description),
                ("self_bond", String(message.selfBond)), ("commission", message.commission.description),
            ])
    }

    func bond(_ amount: UInt64, _ sender: Address) throws {
        _ = try validator(sender)  // only an operator bonds; others delegate
        try delegate(amount, from: sender, to: sender)
    }

    func unbond(_ amount: UInt64, _ sender: Address) throws {
        _ = try validator(sender)
        try undelegate(amount, of: sender, from: sender)
    }

    /// Shares `amount` buys of `validator`: `⌊amount × shares / tokens⌋` (the first delegation
    /// buys one share per base unit).
    func sharesFor(_ amount: UInt64, of validator: Staking.Validator) throws -> UInt64 {
        if validator.shares == 0 {
            guard validator.tokens == 0 else {
                throw StakingError.corruptState("validator \(validator.operatorAddress) has tokens but no shares")
            }
            return amount
        }
        guard validator.tokens > 0 else { throw StakingError.noTokensLeft(validator.operatorAddress) }
        guard let shares = StakeMath.mulDivFloor(amount, validator.shares, validator.tokens) else {
            throw StakingError.overflow("the shares of \(validator.operatorAddress)")
        }
        guard shares > 0 else { throw StakingError.amountTooSmall(amount: amount) }
        return shares
    }

    func delegate(_ amount: UInt64, from delegator: Address, to address: Address) throws {
        var validator = try validator(address)
        guard !validator.tombstoned else { throw StakingError.tombstoned(address) }
        let shares = try sharesFor(amount, of: validator)
        guard let tokens = StakeMath.add(validator.tokens, amount),
            let totalShares = StakeMath.add(validator.shares, shares)
        else { throw StakingError.overflow("the stake of \(address)") }
        var delegation = try Staking.delegation(delegator, to: address, in: store) ?? Staking.Delegation(shares: 0)
        guard let held = StakeMath.add(delegation.shares, shares) else { throw StakingError.overflow("the delegation") }
        try stores.send(amount, from: delegator, to: Staking.pool)
        validator.tokens = tokens
        validator.shares = totalShares
        delegation.shares = held
        try Staking.saveValidator(validator, in: store)
        try Staking.saveDelegation(delegation, delegator, address, in: store)
        emit(
            "delegate",
            [
                ("delegator", delegator.description), ("validator", address.description), ("amount", String(amount)),
                ("shares", String(shares)),
            ])
    }

    // MARK: - Undelegate and redelegate

    /// Takes `amount` of unlocked stake out of `delegator`'s delegation to `validator`.
    ///
    /// Burns `⌈amount × shares / tokens⌉` shares (rounding against the leaver, so those who stay
    /// never lose value) and removes `amount` tokens, or all tokens when the last shares leave.
    /// - Returns: the tokens removed.
    func withdraw(_ amount: UInt64, of delegator: Address, from validator: inout Staking.Validator)
        throws -> (tokens: UInt64, delegation: Staking.Delegation)
    {
        let address = validator.operatorAddress
        guard var delegation = try Staking.delegation(delegator, to: address, in: store) else {
            throw StakingError.insufficientDelegation(available: 0, requested: amount)
        }
        let available = delegation.availableShares
        let value = validator.value(ofShares: available)
        guard amount <= value else { throw StakingError.insufficientDelegation(available: value, requested: amount) }
        guard let burned = StakeMath.mulDivCeil(amount, validator.shares, validator.tokens) else {
            throw StakingError.overflow("the shares of \(address)")
        }
        let sharesOut = min(burned, available)
        let tokensOut = sharesOut == validator.shares ? validator.tokens : amount
        validator.shares -= sharesOut
        validator.tokens -= tokensOut
        delegation.shares -= sharesOut
        return (tokensOut, delegation)
    }

    /// Jails the validator when its operator's self-bond fell below the minimum.
    func checkSelfBond(_ validator: inout Staking.Validator, delegation: Staking.Delegation) {
        guard !validator.jailed, validator.value(ofShares: delegation.shares) < parameters.minSelfBond else { return }
        validator.jailed = true
        validator.jailedUntilEpoch = max(validator.jailedUntilEpoch, epoch)
        emit("jail", [("validator", validator.operatorAddress.description), ("reason", "self_bond")])
    }

    func undelegate(_ amount: UInt64, of delegator: Address, from address: Address) throws {
        var validator = try validator(address)
        let (tokens, delegation) = try withdraw(amount, of: delegator, from: &validator)
        var entries = try Staking.unbondingEntries(of: address, in: store)
        let maturity = maturityEpoch
        if let index = entries.firstIndex(where: { $0.delegator == delegator && $0.creationEpoch == epoch }) {
            guard let sum = StakeMath.add(entries[index].amount, tokens) else {
                throw StakingError.overflow("the unbonding entry")
            }
            entries[index].amount = sum
        } else {
            let pending = entries.count { $0.delegator == delegator }
            guard UInt64(pending) < parameters.maxEntries else {
                throw StakingError.tooManyEntries(maximum: parameters.maxEntries)
            }
            entries.append(
                Staking.UnbondingEntry(
                    delegator: delegator, amount: tokens, creationEpoch: epoch, maturityEpoch: maturity))
        }
        if delegator == address { checkSelfBond(&validator, delegation: delegation) }
        var queue = try Staking.maturityQueue(maturity, in: store)
        queue.unbonding.insert(address)
        try Staking.saveQueue(queue, maturity, in: store)
        try Staking.saveList(entries, Staking.Keys.unbonding(address), in: store)
        try Staking.saveValidator(validator, in: store)
        try Staking.saveDelegation(delegation, delegator, address, in: store)
        emit(
            "undelegate",
            [
                ("delegator", delegator.description), ("validator", address.description), ("amount", String(tokens)),
                ("maturity_epoch", String(maturity)),
            ])
    }

    func redelegate(_ amount: UInt64, of delegator: Address, from source: Address, to destination: Address) throws {
        guard source != destination else { throw StakingError.sameValidator }
        var from = try validator(source)
        var to = try validator(destination)
        guard !to.tombstoned else { throw StakingError.tombstoned(destination) }
        let (tokens, sourceDelegation) = try withdraw(amount, of: delegator, from: &from)
        let shares = try sharesFor(tokens, of: to)
        guard let toTokens = StakeMath.add(to.tokens, tokens), let toShares = StakeMath.add(to.shares, shares) else {
            throw StakingError.overflow("the stake of \(destination)")
        }
        var entries = try Staking.redelegations(from: source, in: store)
        let maturity = maturityEpoch
        if let index = entries.firstIndex(where: {
            $0.delegator == delegator && $0.destination == destination && $0.creationEpoch == epoch
        }) {
            guard let sum = StakeMath.add(entries[index].amount, tokens) else {
                throw StakingError.overflow("the redelegation entry")
            }
            entries[index].amount = sum
        } else {
            let pending = entries.count { $0.delegator == delegator }
            guard UInt64(pending) < parameters.maxEntries else {
                throw StakingError.tooManyEntries(maximum: parameters.maxEntries)
            }
            entries.append(
                Staking.RedelegationEntry(
                    delegator: delegator, destination: destination, amount: tokens, creationEpoch: epoch,
                    maturityEpoch: maturity))
        }
        var destinationDelegation =
            try Staking.delegation(delegator, to: destination, in: store) ?? Staking.Delegation(shares: 0)
        guard let held = StakeMath.add(destinationDelegation.shares, shares) else {
            throw StakingError.overflow("the delegation")
        }
        destinationDelegation.shares = held
        if let index = destinationDelegation.incoming.firstIndex(where: {
            $0.source == source && $0.creationEpoch == epoch
        }) {
            destinationDelegation.incoming[index].shares += shares  // ≤ held, which fit
        } else {
            destinationDelegation.incoming.append(
                Staking.IncomingRedelegation(
                    source: source, shares: shares, creationEpoch: epoch, maturityEpoch: maturity))
        }
        to.tokens = toTokens
        to.shares = toShares
        if delegator == source { checkSelfBond(&from, delegation: sourceDelegation) }

        var queue = try Staking.maturityQueue(maturity, in: store)
        queue.redelegations.insert(source)
        try Staking.saveQueue(queue, maturity, in: store)
        try Staking.saveList(entries, Staking.Keys.redelegations(source), in: store)
        try Staking.saveValidator(from, in: store)
        try Staking.saveValidator(to, in: store)
        try Staking.saveDelegation(sourceDelegation, delegator, source, in: store)
        try Staking.saveDelegation(destinationDelegation, delegator, destination, in: store)
        emit(
            "redelegate",
            [
                ("delegator", delegator.description), ("source", source.description),
                ("destination", destination.description), ("amount", String(tokens)),
                ("maturity_epoch", String(maturity)),
            ])
    }

    // MARK: - Unjail

    func unjail(_ sender: Address) throws {
        var validator = try validator(sender)
        guard !validator.tombstoned else { throw StakingError.tombstoned(sender) }
        guard validator.jailed else { throw StakingError.notJailed(sender) }
        guard epoch >= validator.jailedUntilEpoch else {
            throw StakingError.stillJailed(until: validator.jailedUntilEpoch, current: epoch)
        }
        let selfShares = try Staking.delegation(sender, to: sender, in: store)?.shares ?? 0
        let selfBond = validator.value(ofShares: selfShares)
        guard selfBond >= parameters.minSelfBond else {
            throw StakingError.selfBondBelowMinimum(selfBond: selfBond, minimum: parameters.minSelfBond)
        }
        validator.jailed = false
        validator.missedInWindow = 0
        try Staking.saveValidator(validator, in: store)
        emit("unjail", [("validator", sender.description)])
    }

    // MARK: - Domains

    func checkDomain(_ domain: String) throws {
        guard Staking.isDomainID(domain), domain != block.chainId else { throw StakingError.invalidDomain(domain) }
    }

    func joinDomain(_ domain: String, _ sender: Address) throws {
        try checkDomain(domain)
        let validator = try validator(sender)
        guard !validator.tombstoned else { throw StakingError.tombstoned(sender) }
        var members = try Staking.domainMembers(domain, in: store)
        if let index = members.firstIndex(where: { $0.operatorAddress == sender }) {
            guard members[index].leftEpoch != nil else {
                throw StakingError.alreadyDomainMember(validator: sender, domain: domain)
            }
            members[index] = Staking.DomainMember(operatorAddress: sender, joinedEpoch: epoch)
        } else {
            let index = members.firstIndex { !($0.operatorAddress < sender) } ?? members.count
            members.insert(Staking.DomainMember(operatorAddress: sender, joinedEpoch: epoch), at: index)
        }
        try Staking.saveList(members, Staking.Keys.domainMembers(domain), in: store)
        var domains = try Staking.domainList(in: store)
        if !domains.contains(domain) {
            domains.append(domain)
            domains.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            try Staking.save(DomainList(domains), Staking.Keys.domainList, in: store)
        }
        emit("join_domain", [("validator", sender.description), ("domain", domain)])
    }

    func leaveDomain(_ domain: String, _ sender: Address) throws {
        try checkDomain(domain)
        var members = try Staking.domainMembers(domain, in: store)
        guard let index = members.firstIndex(where: { $0.operatorAddress == sender && $0.leftEpoch == nil }) else {
            throw StakingError.notDomainMember(validator: sender, domain: domain)
        }
        members[index].leftEpoch = epoch
        try Staking.saveList(members, Staking.Keys.domainMembers(domain), in: store)
        emit("leave_domain", [("validator", sender.description), ("domain", domain)])
    }
}
