import ChannelCore
import Primitives

/// Two participants with fixed keys, their channel on a test chain, and a funded version-0 state
/// both have signed.
struct ChannelFixture {
    static let chainID = "aether-channels-test"

    let alice: Ed25519.PrivateKey
    let bob: Ed25519.PrivateKey
    let parameters: ChannelParameters
    let initial: SignedState

    /// A channel funded with `balances` (participant order is alice, bob).
    init(balances: [UInt64] = [1_000, 1_000], seed: UInt8 = 1, appID: Hash = .zero) {
        alice = try! Ed25519.PrivateKey(seed: [UInt8](repeating: seed, count: 32))
        bob = try! Ed25519.PrivateKey(seed: [UInt8](repeating: seed &+ 100, count: 32))
        parameters = try! ChannelParameters(
            participants: [alice.publicKey, bob.publicKey], challengeDuration: 100, nonce: 7, appID: appID)
        let state = ChannelState(
            channelID: parameters.channelID(chainID: Self.chainID), version: 0,
            allocation: Allocation(balances: balances))
        initial = Self.signBoth(state, alice: alice, bob: bob)
    }

    var channelID: Hash { parameters.channelID(chainID: Self.chainID) }

    static func signBoth(_ state: ChannelState, alice: Ed25519.PrivateKey, bob: Ed25519.PrivateKey) -> SignedState {
        let bytes = state.signBytes(chainID: chainID)
        return SignedState(state: state, signatures: [alice.sign(bytes), bob.sign(bytes)])
    }

    func signBoth(_ state: ChannelState) -> SignedState { Self.signBoth(state, alice: alice, bob: bob) }

    /// The two machines, alice's first.
    func machines(
        aliceRule: any ChannelAppRule = PaymentRule(),
        bobRule: any ChannelAppRule = PaymentRule()
    ) -> (ChannelMachine, ChannelMachine) {
        (
            try! ChannelMachine(
                parameters: parameters, chainID: Self.chainID, key: alice, initial: initial, rule: aliceRule),
            try! ChannelMachine(
                parameters: parameters, chainID: Self.chainID, key: bob, initial: initial, rule: bobRule)
        )
    }

    /// The state after `state` with `amount` moved from participant `from` to the other.
    static func transfer(_ amount: UInt64, from: Int, after state: ChannelState) -> ChannelState {
        var next = state.next()
        next.allocation.balances[from] -= amount
        next.allocation.balances[1 - from] += amount
        return next
    }
}

/// The messages a list of actions sends.
func sent(_ actions: [ChannelMachine.Action]) -> [ChannelMessage] {
    actions.compactMap {
        if case .send(let message) = $0 { return message }
        return nil
    }
}

/// The states a list of actions accepts.
func acceptedStates(_ actions: [ChannelMachine.Action]) -> [SignedState] {
    actions.compactMap {
        if case .accepted(let signed) = $0 { return signed }
        return nil
    }
}
