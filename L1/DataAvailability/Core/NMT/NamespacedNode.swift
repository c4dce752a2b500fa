public import Primitives

/// A node of a namespaced Merkle tree: the smallest and largest namespace below it and its digest.
///
/// Serialized as `min (8) ‖ max (8) ‖ digest (32)`, 48 bytes. Hashing follows Celestia's NMT with
/// its leaf/inner domain separation:
/// `leaf = (ns, ns, SHA-256(0x00 ‖ ns ‖ share))` and
/// `inner = (min(l.min, r.min), max', SHA-256(0x01 ‖ l ‖ r))`, where `max'` ignores the parity
/// namespace: when the right child holds only parity shares the parent keeps the left child's
/// maximum, so a row root's range describes the row's original shares, not its parity.
public struct NamespacedNode: Hashable, Sendable {
    /// Bytes of a serialized node.
    public static let byteCount = 2 * Namespace.byteCount + Hash.byteCount
    /// Domain-separation prefix of a leaf hash.
    public static let leafPrefix: UInt8 = 0x00
    /// Domain-separation prefix of an inner-node hash.
    public static let innerPrefix: UInt8 = 0x01

    /// The smallest namespace below this node.
    public let min: Namespace
    /// The largest non-parity namespace below this node (parity only if all below is parity).
    public let max: Namespace
    /// The SHA-256 digest.
    public let digest: Hash

    /// A node from its parts.
    public init(min: Namespace, max: Namespace, digest: Hash) {
        self.min = min
        self.max = max
        self.digest = digest
    }

    /// The 48 serialized bytes.
    public var bytes: [UInt8] {
        min.bytes + max.bytes + digest.bytes
    }

    /// A node from its 48 serialized bytes.
    public init(bytes: [UInt8]) throws(DataAvailabilityError) {
        guard bytes.count == Self.byteCount else { throw .invalidProof("a tree node is 48 bytes, got \(bytes.count)") }
        min = try Namespace(bytes: bytes[0..<8])
        max = try Namespace(bytes: bytes[8..<16])
        digest = try! Hash(bytes[16..<48])
    }

    /// Writes the 48 serialized bytes at `pointer`.
    func store(to pointer: UnsafeMutableRawPointer) {
        min.store(to: pointer)
        max.store(to: pointer + Namespace.byteCount)
        digest.withUnsafeBytes { (pointer + 2 * Namespace.byteCount).copyMemory(from: $0.baseAddress!, byteCount: 32) }
    }

    /// True when `namespace` lies in `min...max`.
    public func covers(_ namespace: Namespace) -> Bool { min <= namespace && namespace <= max }

    /// The leaf for `share` (`ShareFormat.shareSize` bytes at `share`) under `namespace`.
    static func leaf(namespace: Namespace, share: UnsafeRawPointer) -> NamespacedNode {
        let digest = withUnsafeTemporaryAllocation(byteCount: 1 + Namespace.byteCount, alignment: 8) { prefix in
            prefix.storeBytes(of: leafPrefix, toByteOffset: 0, as: UInt8.self)
            namespace.store(to: prefix.baseAddress! + 1)
            var hasher = NodeHasher()
            hasher.update(UnsafeRawBufferPointer(prefix))
            hasher.update(UnsafeRawBufferPointer(start: share, count: ShareFormat.shareSize))
            return hasher.finalize()
        }
        return NamespacedNode(min: namespace, max: namespace, digest: digest)
    }

    /// The leaf for the share bytes in `share`, which must be one share long.
    static func leaf(namespace: Namespace, share: [UInt8]) -> NamespacedNode {
        share.withUnsafeBytes { leaf(namespace: namespace, share: $0.baseAddress!) }
    }

    /// The parent of `left` and `right`; nil when their namespaces are out of order.
    static func parent(_ left: NamespacedNode, _ right: NamespacedNode) -> NamespacedNode? {
        guard left.max <= right.min else { return nil }
        let digest = withUnsafeTemporaryAllocation(byteCount: 1 + 2 * byteCount, alignment: 8) { preimage in
            preimage.storeBytes(of: innerPrefix, toByteOffset: 0, as: UInt8.self)
            left.store(to: preimage.baseAddress! + 1)
            right.store(to: preimage.baseAddress! + 1 + byteCount)
            return NodeHasher.digest(UnsafeRawBufferPointer(preimage))
        }
        let maximum: Namespace
        if left.min == .parity {
            maximum = .parity
        } else if right.min == .parity {
            maximum = left.max
        } else {
            maximum = Swift.max(left.max, right.max)
        }
        return NamespacedNode(min: Swift.min(left.min, right.min), max: maximum, digest: digest)
    }
}
