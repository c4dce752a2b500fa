public import Chain
public import DataAvailabilityModule
internal import Primitives

extension Staking {
    /// Staking as the DA module's `DomainKeeper`: a domain's proposer comes from the domain's
    /// validator set fixed for the current L1 epoch, and a poster of a badly encoded square is
    /// slashed like a double-signer (ADR 0010).
    public struct DomainKeeper: DataAvailabilityModule.DomainKeeper {
        /// The bank keeper staking burns slashed stake through.
        public let bank: any BankKeeper

        /// The keeper over `bank`.
        public init(bank: any BankKeeper = ChainBank()) {
            self.bank = bank
        }

        public func proposer(domain: String, height: UInt64, context: MessageContext) throws -> Address? {
            let store = context.store(for: Staking.moduleName)
            let epoch = try Staking.progress(in: store).epoch
            guard let set = try Staking.domainValidators(domain, epoch: epoch, in: store) else { return nil }
            return Self.proposer(of: set, domain: domain, height: height)
        }

        /// The stake-weighted draw of `domain`'s proposer for `height` from `set`: member `i` is
        /// chosen when `SHA-256("aether/da/proposer/v1" ‖ domain ‖ height)`'s first 8 bytes,
        /// big-endian, modulo the total stake fall in its cumulative stake range (members in the
        /// set's order). Nil for an empty set or one without stake.
        public static func proposer(of set: EpochValidators, domain: String, height: UInt64) -> Address? {
            let total = set.totalStake
            guard total > 0 else { return nil }
            var encoder = CanonicalEncoder()
            encoder.write("aether/da/proposer/v1")
            encoder.write(domain)
            encoder.write(height)
            let draw = Hashing.sha256(encoder.bytes).bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } % total
            var cumulative: UInt64 = 0
            for member in set.members {
                cumulative = StakeMath.add(cumulative, member.stake) ?? .max
                if draw < cumulative { return member.operatorAddress }
            }
            return set.members.last?.operatorAddress
        }

        public func slashForBadEncoding(_ poster: Address, domain: String, height: UInt64, context: MessageContext)
            throws -> UInt64
        {
            let ledger = try Ledger(
                stores: StakingStores(
                    staking: context.store(for: Staking.moduleName), bank: context.store(for: bank.moduleName),
                    keeper: bank),
                block: context.block)
            return try ledger.slashBadEncoding(poster, domain: domain, height: height, reporter: context.sender)
        }
    }
}
