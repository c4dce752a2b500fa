import ChannelCore
import ChannelMetering
import Primitives
import Testing

@Suite("Channel encodings")
struct EncodingTests {
    static func sampleState() -> ChannelState {
        ChannelState(
            channelID: Hashing.sha256([1, 2, 3]), version: 42,
            allocation: Allocation(
                balances: [500, 300],
                locked: [
                    SubAllocation(id: Hashing.sha256([1]), amount: 100),
                    SubAllocation(id: Hashing.sha256([2]), amount: 100),
                ]
                .sorted { $0.id < $1.id }),
            appData: [9, 8, 7], isFinal: false)
    }

    @Test("parameters, states, signed states, messages and meter commitments round-trip")
    func roundTrips() throws {
        let fixture = ChannelFixture()
        let state = Self.sampleState()
        #expect(
            try Canonical.decode(ChannelParameters.self, from: Canonical.encode(fixture.parameters))
                == fixture.parameters)
        #expect(try Canonical.decode(ChannelState.self, from: Canonical.encode(state)) == state)
        #expect(try Canonical.decode(SignedState.self, from: Canonical.encode(fixture.initial)) == fixture.initial)
        let messages: [ChannelMessage] = [
            .proposal(state, signature: fixture.initial.signatures[0]),
            .acceptance(channelID: state.channelID, version: 3, signature: fixture.initial.signatures[1]),
            .rejection(channelID: state.channelID, version: 3, reason: .fundsNotConserved(before: 10, after: 11)),
            .rejection(channelID: state.channelID, version: 4, reason: .appRule("too many units")),
        ]
        for message in messages {
            #expect(try Canonical.decode(ChannelMessage.self, from: Canonical.encode(message)) == message)
        }
        let commitment = MeterCommitment(
            sessionID: Hashing.sha256([5]), terms: try MeterTerms(unitPrice: 3, segmentLength: 10, creditWindow: 2),
            providerIndex: 1, root: Hashing.sha256([6]), settledUnits: 20)
        #expect(try Canonical.decode(MeterCommitment.self, from: Canonical.encode(commitment)) == commitment)
    }

    @Test("the state encoding is pinned field by field")
    func pinnedLayout() {
        let state = ChannelState(
            channelID: .zero, version: 1, allocation: Allocation(balances: [2, 3]), appData: [0xaa], isFinal: true)
        let expected: [UInt8] =
            [UInt8](repeating: 0, count: 32) + [1, 0, 0, 0, 0, 0, 0, 0] + [2] + [2, 0, 0, 0, 0, 0, 0, 0]
            + [3, 0, 0, 0, 0, 0, 0, 0] + [0] + [1, 0xaa] + [1]
        #expect(Canonical.encode(state) == expected)
    }

    @Test("a sub-allocation is id, amount and index map (empty for a meter, two entries for a child channel)")
    func pinnedSubAllocation() throws {
        let meter = SubAllocation(id: .zero, amount: 5)
        #expect(Canonical.encode(meter) == [UInt8](repeating: 0, count: 32) + [5, 0, 0, 0, 0, 0, 0, 0] + [0])
        let child = SubAllocation(id: .zero, amount: 5, indexMap: [1, 0])
        #expect(Canonical.encode(child) == [UInt8](repeating: 0, count: 32) + [5, 0, 0, 0, 0, 0, 0, 0] + [2, 1, 0])
        #expect(try Canonical.decode(SubAllocation.self, from: Canonical.encode(child)) == child)
        // Index maps other than none or a permutation of [0, 1] are refused inside an allocation.
        for map: [UInt8] in [[0], [0, 0], [1, 1], [0, 2]] {
            let allocation = Allocation(balances: [1, 2], locked: [SubAllocation(id: .zero, amount: 1, indexMap: map)])
            #expect(throws: CodecError.self) {
                try Canonical.decode(Allocation.self, from: Canonical.encode(allocation))
            }
        }
        #expect(throws: CodecError.self) {
            try Canonical.decode(SubAllocation.self, from: Canonical.encode(meter).dropLast() + [3, 0, 1, 0])
        }
    }

    @Test("truncated, padded and unknown-tag inputs are refused with a codec error")
    func refusesGarbage() {
        let bytes = Canonical.encode(Self.sampleState())
        for cut in [0, 1, 31, 40, bytes.count - 1] {
            #expect(throws: CodecError.self) { try Canonical.decode(ChannelState.self, from: Array(bytes.prefix(cut))) }
        }
        #expect(throws: CodecError.trailingBytes(count: 1)) {
            try Canonical.decode(ChannelState.self, from: bytes + [0])
        }
        #expect(throws: CodecError.self) { try Canonical.decode(ChannelMessage.self, from: [7] + bytes) }
        var badFinal = bytes
        badFinal[badFinal.count - 1] = 2
        #expect(throws: CodecError.invalidBoolean(offset: bytes.count - 1, value: 2)) {
            try Canonical.decode(ChannelState.self, from: badFinal)
        }
    }

    @Test("allocations that are not canonical are refused: three balances, unsorted or repeated ids")
    func refusesNonCanonicalAllocations() {
        let id = Hashing.sha256([1])
        let threeBalances = Allocation(balances: [1, 2, 3])
        let repeated = Allocation(
            balances: [1, 2], locked: [SubAllocation(id: id, amount: 1), SubAllocation(id: id, amount: 1)])
        for allocation in [threeBalances, repeated] {
            #expect(throws: CodecError.self) {
                try Canonical.decode(Allocation.self, from: Canonical.encode(allocation))
            }
        }
    }

    @Test("parameters with one participant, equal keys or a zero challenge duration are refused")
    func refusesBadParameters() {
        let fixture = ChannelFixture()
        let key = fixture.alice.publicKey
        #expect(throws: ChannelError.self) {
            try ChannelParameters(participants: [key], challengeDuration: 1, nonce: 0, appID: .zero)
        }
        #expect(throws: ChannelError.self) {
            try ChannelParameters(participants: [key, key], challengeDuration: 1, nonce: 0, appID: .zero)
        }
        #expect(throws: ChannelError.self) {
            try ChannelParameters(
                participants: [key, fixture.bob.publicKey], challengeDuration: 0, nonce: 0, appID: .zero)
        }
    }
}
