import ChannelCore
import Primitives
import Testing

@Suite("Signed states")
struct SignatureTests {
    @Test("a state both participants signed verifies")
    func validStateVerifies() throws {
        let fixture = ChannelFixture()
        try fixture.initial.verify(parameters: fixture.parameters, chainID: ChannelFixture.chainID)
    }

    @Test("a signature by a key that is not the participant's is refused, naming the participant")
    func wrongKey() {
        let fixture = ChannelFixture()
        let mallory = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 66, count: 32))
        let state = fixture.initial.state
        let forged = SignedState(
            state: state,
            signatures: [fixture.initial.signatures[0], mallory.sign(state.signBytes(chainID: ChannelFixture.chainID))])
        #expect(throws: ChannelError.invalidSignature(participant: 1)) {
            try forged.verify(parameters: fixture.parameters, chainID: ChannelFixture.chainID)
        }
    }

    @Test("a state signed for one chain is refused on another")
    func wrongChainID() {
        let fixture = ChannelFixture()
        // Same channel id field, signatures over the other chain's sign bytes.
        let otherChain = "aether-other"
        let bytes = fixture.initial.state.signBytes(chainID: otherChain)
        let signed = SignedState(
            state: fixture.initial.state, signatures: [fixture.alice.sign(bytes), fixture.bob.sign(bytes)])
        #expect(throws: ChannelError.invalidSignature(participant: 0)) {
            try signed.verify(parameters: fixture.parameters, chainID: ChannelFixture.chainID)
        }
        // And the correctly signed state does not verify for the other chain: its channel id differs.
        #expect(throws: ChannelError.self) {
            try fixture.initial.verify(parameters: fixture.parameters, chainID: otherChain)
        }
        #expect(fixture.parameters.channelID(chainID: otherChain) != fixture.channelID)
    }

    @Test("tampering with any field of a signed state breaks the signatures")
    func tamperedState() {
        let fixture = ChannelFixture()
        let original = fixture.initial.state
        var tampered: [ChannelState] = []
        var richer = original
        richer.allocation.balances = [1_001, 999]
        tampered.append(richer)
        var later = original
        later.version = 9
        tampered.append(later)
        var final = original
        final.isFinal = true
        tampered.append(final)
        var data = original
        data.appData = [1]
        tampered.append(data)
        for state in tampered {
            let signed = SignedState(state: state, signatures: fixture.initial.signatures)
            #expect(throws: ChannelError.invalidSignature(participant: 0)) {
                try signed.verify(parameters: fixture.parameters, chainID: ChannelFixture.chainID)
            }
        }
    }

    @Test("a state with one signature is refused")
    func missingSignature() {
        let fixture = ChannelFixture()
        let signed = SignedState(state: fixture.initial.state, signatures: [fixture.initial.signatures[0]])
        #expect(throws: ChannelError.missingSignatures(expected: 2, actual: 1)) {
            try signed.verify(parameters: fixture.parameters, chainID: ChannelFixture.chainID)
        }
    }

    @Test("the invariants refuse lost funds, stale versions and updates after a final state")
    func invariants() {
        let state = ChannelFixture().initial.state
        var minted = state.next()
        minted.allocation.balances[0] += 1
        #expect(throws: UpdateRejection.fundsNotConserved(before: 2_000, after: 2_001)) {
            try ChannelInvariants.checkTransition(from: state, to: minted)
        }
        #expect(throws: UpdateRejection.versionNotNext(expected: 1, actual: 0)) {
            try ChannelInvariants.checkTransition(from: state, to: state)
        }
        var final = state.next()
        final.isFinal = true
        #expect(throws: UpdateRejection.channelFinal) {
            try ChannelInvariants.checkTransition(from: final, to: ChannelFixture.transfer(1, from: 0, after: final))
        }
        var locked = state.next()
        locked.allocation.balances[0] -= 100
        locked.allocation.locked = [SubAllocation(id: .zero, amount: 100)]
        #expect(throws: Never.self) { try ChannelInvariants.checkTransition(from: state, to: locked) }
        var overflow = state.next()
        overflow.allocation.balances = [.max, 1]
        #expect(throws: UpdateRejection.allocationOverflow) {
            try ChannelInvariants.checkTransition(from: state, to: overflow)
        }
    }
}
