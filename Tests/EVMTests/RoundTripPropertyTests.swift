import Primitives
import Testing

@testable import EVM

/// Seeded random values: every one must decode back to itself, and its encoding must be the only
/// one the decoder accepts for it (decode then encode gives the same bytes).
@Suite("Round-trip properties")
struct RoundTripPropertyTests {
    @Test("random RLP items round-trip", arguments: [UInt64(1), 2, 3, 4])
    func rlpRoundTrip(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        for iteration in 0..<200 {
            let item = Self.randomItem(&random, depth: 0)
            let encoded = item.encoded
            let decoded = try RLPItem.decode(encoded)
            #expect(decoded == item, "seed \(seed), iteration \(iteration)")
            #expect(decoded.encoded == encoded, "seed \(seed), iteration \(iteration)")
        }
    }

    @Test("random ABI values of random types round-trip", arguments: [UInt64(1), 2, 3, 4])
    func abiRoundTrip(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        for iteration in 0..<200 {
            let types = (0..<Int(random.next() % 4)).map { _ in Self.randomType(&random, depth: 0) }
            let values = types.map { Self.randomValue(of: $0, &random) }
            let encoded = try ABI.encode(values, as: types)
            #expect(encoded.count % 32 == 0, "seed \(seed), iteration \(iteration)")
            #expect(try ABI.decode(encoded, as: types) == values, "seed \(seed), iteration \(iteration): \(types)")
        }
    }

    // MARK: - Generators

    private static func randomItem(_ random: inout SeededRandom, depth: Int) -> RLPItem {
        if depth < 3 && random.next() % 3 == 0 {
            return .list((0..<Int(random.next() % 6)).map { _ in randomItem(&random, depth: depth + 1) })
        }
        let lengths = [0, 1, 1, 2, 55, 56, 300]
        return .bytes(random.bytes(lengths[Int(random.next() % UInt64(lengths.count))]))
    }

    private static func randomType(_ random: inout SeededRandom, depth: Int) -> ABIType {
        let leaves: [ABIType] = [.uint256, .uint64, .uint(bits: 8), .address, .bool, .bytes32, .fixedBytes(5), .bytes]
        if depth < 2 && random.next() % 3 == 0 {
            if random.next() % 2 == 0 { return .array(randomType(&random, depth: depth + 1)) }
            return .tuple((0..<Int(1 + random.next() % 3)).map { _ in randomType(&random, depth: depth + 1) })
        }
        return leaves[Int(random.next() % UInt64(leaves.count))]
    }

    private static func randomValue(of type: ABIType, _ random: inout SeededRandom) -> ABIValue {
        switch type {
        case .uint(let bits):
            return .uint(try! UInt256(bigEndian: random.bytes(Int(random.next() % UInt64(bits / 8 + 1)))))
        case .address: return .address(try! EthereumAddress(random.bytes(20)))
        case .bool: return .bool(random.next() % 2 == 0)
        case .fixedBytes(let count): return .fixedBytes(random.bytes(count))
        case .bytes: return .bytes(random.bytes(Int(random.next() % 70)))
        case .array(let element):
            return .array((0..<Int(random.next() % 4)).map { _ in randomValue(of: element, &random) })
        case .tuple(let elements): return .tuple(elements.map { randomValue(of: $0, &random) })
        }
    }
}
