public import Chain
public import ChainConfiguration
public import Consensus
public import Primitives

/// Why the staking module refused a message, a hook or a genesis. Codes are the `staking` code
/// space in receipts; descriptions are built from the values only (they are consensus data).
public enum StakingError: ModuleError, Equatable, Sendable {
    /// Code 1: a message kind the module does not have.
    case unknownMessageKind(UInt16)
    /// Code 2: an amount of zero.
    case zeroAmount
    /// Code 3: the sender already operates a validator (one per operator, and never again after a tombstone).
    case validatorExists(Address)
    /// Code 4: the signing key is already registered (keys are never reused, even after a tombstone).
    case keyInUse(Ed25519.PublicKey)
    /// Code 5: a commission outside the genesis bounds.
    case commissionOutOfBounds(commission: Ratio, minimum: Ratio, maximum: Ratio)
    /// Code 6: the self-bond is below `min_self_bond`.
    case selfBondTooSmall(amount: UInt64, minimum: UInt64)
    /// Code 7: the proof of possession is not a signature of the signing key.
    case invalidPossessionProof
    /// Code 8: no validator is operated by this address.
    case unknownValidator(Address)
    /// Code 9: the validator was slashed for double-signing and is out for good.
    case tombstoned(Address)
    /// Code 10: the validator has shares but no tokens left: a share has no price.
    case noTokensLeft(Address)
    /// Code 11: the amount buys less than one share.
    case amountTooSmall(amount: UInt64)
    /// Code 12: the delegation's unlocked value is below the amount.
    case insufficientDelegation(available: UInt64, requested: UInt64)
    /// Code 13: too many pending unbonding or redelegation entries for this pair.
    case tooManyEntries(maximum: UInt64)
    /// Code 14: a redelegation to the validator it comes from.
    case sameValidator
    /// Code 15: unjail of a validator that is not jailed.
    case notJailed(Address)
    /// Code 16: unjail before the jail time is over.
    case stillJailed(until: UInt64, current: UInt64)
    /// Code 17: the evidence was already used.
    case evidenceAlreadyUsed(Hash)
    /// Code 18: the evidence is for another chain than the one named.
    case evidenceWrongChain(expected: String, actual: String)
    /// Code 19: the infraction is older than the unbonding delay allows slashing for.
    case evidenceTooOld(epoch: UInt64, current: UInt64, maximumAge: UInt64)
    /// Code 20: the evidence names an epoch after the current one.
    case evidenceFromFuture(epoch: UInt64, current: UInt64)
    /// Code 21: the signer was not in the validator set of the infraction's epoch.
    case notInValidatorSet(key: Ed25519.PublicKey, epoch: UInt64)
    /// Code 22: the evidence does not prove an equivocation.
    case invalidEvidence(EvidenceError)
    /// Code 23: a domain id that is not 1–64 chain-id characters, or the L1's own id.
    case invalidDomain(String)
    /// Code 24: the validator is not (or no longer) in the domain's opt-in set.
    case notDomainMember(validator: Address, domain: String)
    /// Code 25: the validator is already in the domain's opt-in set.
    case alreadyDomainMember(validator: Address, domain: String)
    /// Code 26: the bank refused a transfer, mint or burn.
    case bank(String)
    /// Code 27: an amount or share count would overflow 64 bits.
    case overflow(String)
    /// Code 28: a validator name that is empty or longer than 64 bytes.
    case invalidName
    /// Code 29: the module genesis is inconsistent.
    case invalidGenesis(String)
    /// Code 30: parameters out of range.
    case invalidParameters(String)
    /// Code 31: the block's epoch differs from the module's epoch count (the driver and the module disagree).
    case epochMismatch(block: UInt64, expected: UInt64)
    /// Code 32: the key in the evidence belongs to no validator.
    case unknownValidatorKey(Ed25519.PublicKey)
    /// Code 33: unjail with a self-bond below `min_self_bond`.
    case selfBondBelowMinimum(selfBond: UInt64, minimum: UInt64)
    /// Code 34: state the module wrote cannot be read back (a broken invariant).
    case corruptState(String)

    public var code: UInt32 {
        switch self {
        case .unknownMessageKind: 1
        case .zeroAmount: 2
        case .validatorExists: 3
        case .keyInUse: 4
        case .commissionOutOfBounds: 5
        case .selfBondTooSmall: 6
        case .invalidPossessionProof: 7
        case .unknownValidator: 8
        case .tombstoned: 9
        case .noTokensLeft: 10
        case .amountTooSmall: 11
        case .insufficientDelegation: 12
        case .tooManyEntries: 13
        case .sameValidator: 14
        case .notJailed: 15
        case .stillJailed: 16
        case .evidenceAlreadyUsed: 17
        case .evidenceWrongChain: 18
        case .evidenceTooOld: 19
        case .evidenceFromFuture: 20
        case .notInValidatorSet: 21
        case .invalidEvidence: 22
        case .invalidDomain: 23
        case .notDomainMember: 24
        case .alreadyDomainMember: 25
        case .bank: 26
        case .overflow: 27
        case .invalidName: 28
        case .invalidGenesis: 29
        case .invalidParameters: 30
        case .epochMismatch: 31
        case .unknownValidatorKey: 32
        case .selfBondBelowMinimum: 33
        case .corruptState: 34
        }
    }

    public var description: String {
        switch self {
        case .unknownMessageKind(let kind): "the staking module has no message kind \(kind)"
        case .zeroAmount: "the amount must be positive"
        case .validatorExists(let address): "account \(address) already operates a validator"
        case .keyInUse(let key): "signing key \(key) is already registered to a validator"
        case .commissionOutOfBounds(let commission, let minimum, let maximum):
            "commission \(commission) is outside [\(minimum), \(maximum)]"
        case .selfBondTooSmall(let amount, let minimum): "self-bond \(amount) is below the minimum of \(minimum)"
        case .invalidPossessionProof: "the proof of possession is not a valid signature of the signing key"
        case .unknownValidator(let address): "no validator is operated by \(address)"
        case .tombstoned(let address): "validator \(address) is tombstoned for double-signing"
        case .noTokensLeft(let address): "validator \(address) has no bonded tokens left; its shares have no price"
        case .amountTooSmall(let amount): "\(amount) buys less than one share"
        case .insufficientDelegation(let available, let requested):
            "the delegation's unlocked value is \(available), less than \(requested)"
        case .tooManyEntries(let maximum): "at most \(maximum) pending entries per delegator and validator"
        case .sameValidator: "source and destination are the same validator"
        case .notJailed(let address): "validator \(address) is not jailed"
        case .stillJailed(let until, let current): "jailed until epoch \(until); the current epoch is \(current)"
        case .evidenceAlreadyUsed(let id): "evidence \(id) was already used"
        case .evidenceWrongChain(let expected, let actual): "evidence is for chain '\(actual)', expected '\(expected)'"
        case .evidenceTooOld(let epoch, let current, let maximumAge):
            "evidence from epoch \(epoch) is too old in epoch \(current) (at most \(maximumAge) epochs back)"
        case .evidenceFromFuture(let epoch, let current):
            "evidence names epoch \(epoch), after the current epoch \(current)"
        case .notInValidatorSet(let key, let epoch): "validator \(key) is not in the set of epoch \(epoch)"
        case .invalidEvidence(let error): "invalid evidence: \(error)"
        case .invalidDomain(let domain): "'\(domain)' is not a domain id (1-64 chain-id characters, not the L1's)"
        case .notDomainMember(let validator, let domain): "validator \(validator) is not a member of domain '\(domain)'"
        case .alreadyDomainMember(let validator, let domain):
            "validator \(validator) is already a member of domain '\(domain)'"
        case .bank(let reason): "the bank refused: \(reason)"
        case .overflow(let what): "\(what) would overflow 64 bits"
        case .invalidName: "a validator name is 1-64 bytes"
        case .invalidGenesis(let reason): "invalid staking genesis: \(reason)"
        case .invalidParameters(let reason): "invalid staking parameters: \(reason)"
        case .epochMismatch(let block, let expected):
            "the block is in epoch \(block) but staking counts epoch \(expected)"
        case .unknownValidatorKey(let key): "no validator has signing key \(key)"
        case .selfBondBelowMinimum(let selfBond, let minimum):
            "the operator's self-bond \(selfBond) is below the minimum of \(minimum)"
        case .corruptState(let what): "staking state is corrupt: \(what)"
        }
    }
}
