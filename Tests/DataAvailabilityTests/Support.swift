import DataAvailability
import Primitives

/// Builders shared by the data-availability tests.
enum Fixtures {
    /// Blobs under namespaces 1…`domains`, `bytesPerDomain` seeded bytes each.
    static func blobs(domains: Int, bytesPerDomain: Int, seed: UInt64 = 1) -> [Blob] {
        var random = SeededRandom(seed: seed)
        return (1...domains).map {
            Blob(namespace: Namespace(rawValue: UInt64($0) * 16), data: random.bytes(bytesPerDomain))
        }
    }

    /// A committed square holding `blobs`.
    static func committed(_ blobs: [Blob]) throws -> CommittedSquare {
        try CommittedSquare(ExtendedSquare.extend(DataSquare(blobs: blobs)))
    }

    /// A square of exactly `width × width` shares filled with seeded data under sorted namespaces.
    static func committed(width: Int, seed: UInt64 = 7) throws -> CommittedSquare {
        let capacity = ShareFormat.firstShareCapacity
        let blobs = (0..<width * width).map { index in
            var random = SeededRandom(seed: seed &+ UInt64(index))
            return Blob(namespace: Namespace(rawValue: UInt64(index / 3 + 1)), data: random.bytes(capacity))
        }
        let square = try DataSquare(blobs: blobs)
        precondition(square.width == width)
        return try CommittedSquare(ExtendedSquare.extend(square))
    }

    /// The root of `leaves` by the recursive definition, written independently of the library:
    /// leaf = ns ‖ ns ‖ SHA-256(0 ‖ ns ‖ share); node = min ‖ max' ‖ SHA-256(1 ‖ left ‖ right).
    static func referenceRoot(_ leaves: ArraySlice<(namespace: UInt64, share: [UInt8])>) -> (
        min: UInt64, max: UInt64, digest: [UInt8]
    ) {
        func bigEndian(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) } }
        if leaves.count == 1 {
            let leaf = leaves.first!
            let digest = Hashing.sha256([0] + bigEndian(leaf.namespace) + leaf.share).bytes
            return (leaf.namespace, leaf.namespace, digest)
        }
        var split = 1
        while split * 2 < leaves.count { split *= 2 }
        let left = referenceRoot(leaves.prefix(split))
        let right = referenceRoot(leaves.dropFirst(split))
        let digest = Hashing.sha256(
            [1] + bigEndian(left.min) + bigEndian(left.max) + left.digest + bigEndian(right.min)
                + bigEndian(right.max) + right.digest
        ).bytes
        let parity = UInt64.max
        let maximum = left.min == parity ? parity : right.min == parity ? left.max : Swift.max(left.max, right.max)
        return (Swift.min(left.min, right.min), maximum, digest)
    }
}

/// A source that answers every request with the share of another coordinate (a lying node).
struct SwappingShareSource: ShareSource {
    let inner: InMemoryShareSource

    func header() async throws -> DataAvailabilityHeader { try await inner.header() }

    func share(row: Int, column: Int) async throws -> ShareProof {
        let real = try await inner.share(row: row, column: column)
        let other = try await inner.share(row: row, column: (column + 1) % real.proof.leafCount)
        return ShareProof(row: row, column: column, share: other.share, proof: real.proof)
    }
}
