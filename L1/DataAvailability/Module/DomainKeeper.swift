public import Chain
public import Primitives

extension DataAvailabilityModule {
    /// What the DA module needs from staking (an expected keeper): who may post a domain's block,
    /// and a penalty for a poster proven to have committed a badly encoded square. The L1 gives it
    /// the staking module's keeper; tests give it a fixed table.
    public protocol DomainKeeper: Sendable {
        /// The operator that may post `domain`'s block at `height` in the current L1 epoch, or nil
        /// when the domain has no validator set for this epoch.
        func proposer(domain: String, height: UInt64, context: MessageContext) throws -> Address?
        /// Slashes `poster` (the fraction for provable misbehaviour), jails and tombstones it;
        /// returns the SWR burned.
        func slashForBadEncoding(_ poster: Address, domain: String, height: UInt64, context: MessageContext) throws
            -> UInt64
    }
}
