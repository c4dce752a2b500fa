import ChannelMetering
import Primitives
import Testing

@Suite("Hash chains")
struct HashChainTests {
    static let seed = Hashing.sha256(Array("meter seed".utf8))

    @Test("the root is H^n(seed) and each reveal hashes to the one before")
    func structure() throws {
        let chain = HashChain(seed: Self.seed, length: 5)
        var value = Self.seed
        for _ in 0..<5 { value = Hashing.sha256(value.bytes) }
        #expect(chain.root == value)
        #expect(HashChain.step(try chain.preimage(forUnit: 1)) == chain.root)
        for unit in 2...5 {
            #expect(HashChain.step(try chain.preimage(forUnit: unit)) == (try chain.preimage(forUnit: unit - 1)))
        }
        #expect(try chain.preimage(forUnit: 5) == Self.seed)
        #expect(throws: MeterError.unitOutOfRange(unit: 6, length: 5)) { try chain.preimage(forUnit: 6) }
        #expect(throws: MeterError.unitOutOfRange(unit: 0, length: 5)) { try chain.preimage(forUnit: 0) }
    }

    @Test("the verifier accepts every reveal in order, then reports the chain exhausted")
    func verifiesInOrder() throws {
        let chain = HashChain(seed: Self.seed, length: 100)
        var verifier = HashChainVerifier(root: chain.root, length: chain.length)
        for unit in 1...100 { try verifier.verify(try chain.preimage(forUnit: unit)) }
        #expect(verifier.verifiedUnits == 100)
        #expect(throws: MeterError.chainExhausted(length: 100)) { try verifier.verify(Self.seed) }
    }

    @Test("forged, skipped and replayed preimages are refused with their own errors and change nothing")
    func refusesBadReveals() throws {
        let chain = HashChain(seed: Self.seed, length: 10)
        var verifier = HashChainVerifier(root: chain.root, length: 10)
        #expect(throws: MeterError.forgedPreimage(unit: 1)) { try verifier.verify(Hashing.sha256([1])) }
        #expect(throws: MeterError.forgedPreimage(unit: 1)) { try verifier.verify(try chain.preimage(forUnit: 2)) }
        try verifier.verify(try chain.preimage(forUnit: 1))
        #expect(throws: MeterError.replayedPreimage(unit: 1)) { try verifier.verify(try chain.preimage(forUnit: 1)) }
        // A chain from another seed with the same length does not pay for this one.
        let other = HashChain(seed: Hashing.sha256([2]), length: 10)
        #expect(throws: MeterError.forgedPreimage(unit: 2)) { try verifier.verify(try other.preimage(forUnit: 2)) }
        #expect(verifier.verifiedUnits == 1)
        try verifier.verify(try chain.preimage(forUnit: 2))
        #expect(verifier.verifiedUnits == 2)
    }
}
