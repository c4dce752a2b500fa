public import Chain
public import Primitives
public import SettlementModule

extension Staking {
    /// Staking as the settlement module's `Authority`: the current epoch, the stakes of an
    /// epoch's L1 set, domain membership and registered validators.
    public struct SettlementAuthority: SettlementModule.Authority {
        public init() {}

        public func currentEpoch(context: MessageContext) throws -> UInt64 {
            try Staking.progress(in: context.store(for: Staking.moduleName)).epoch
        }

        public func validatorStakes(epoch: UInt64, context: MessageContext) throws -> [Address: UInt64]? {
            guard let set = try Staking.epochValidators(epoch, in: context.store(for: Staking.moduleName)) else {
                return nil
            }
            var stakes: [Address: UInt64] = [:]
            for member in set.members { stakes[member.operatorAddress] = member.stake }
            return stakes
        }

        public func isDomainMember(_ operatorAddress: Address, domain: String, context: MessageContext) throws -> Bool {
            let store = context.store(for: Staking.moduleName)
            let epoch = try Staking.progress(in: store).epoch
            guard let set = try Staking.domainValidators(domain, epoch: epoch, in: store) else { return false }
            return set.members.contains { $0.operatorAddress == operatorAddress }
        }

        public func isValidator(_ operatorAddress: Address, context: MessageContext) throws -> Bool {
            try Staking.validator(operatorAddress, in: context.store(for: Staking.moduleName)) != nil
        }
    }
}
