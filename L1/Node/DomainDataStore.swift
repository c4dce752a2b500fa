public import DataAvailability
public import Primitives
public import Storage
import Synchronization

/// The domain block data a node holds, beside the chain (Docs/spec/data-availability.md, "On the
/// L1"): each original square by its data root in RocksDB, and the last few extended and committed
/// squares in memory, since extending and committing a large square takes a good part of a slot.
///
/// A square enters only through `put`, which extends and commits it here: what is stored under a
/// data root is always data that has that root. Thread-safe; used from RPC handlers, the network
/// listener and the node's actor.
public final class DomainDataStore: Sendable {
    /// The column of squares: data root → `canonical(k) ‖ canonical(original square bytes)`.
    public static let column = StoreColumn("da.squares")
    /// Committed squares kept in memory.
    static let recentCapacity = 4

    private let store: any KeyValueStore
    private let recent: Mutex<[(root: Hash, square: CommittedSquare)]> = Mutex([])
    private let codecs: Mutex<[Int: ErasureCodec]> = Mutex([:])

    /// The data held in `store`, which must have been opened with `column`.
    public init(store: any KeyValueStore) {
        self.store = store
    }

    /// Extends and commits `square`, stores it under its data root, and returns the committed square.
    /// - Throws: `DataAvailabilityError` for a square that cannot be extended, `StoreError` when the
    ///   store fails.
    @discardableResult
    public func put(_ square: DataSquare) throws -> CommittedSquare {
        let committed = try CommittedSquare(ExtendedSquare.extend(square, codec: codec(square.width)))
        let root = committed.header.dataRoot
        var encoder = CanonicalEncoder()
        encoder.write(UInt16(square.width))
        encoder.write(bytes: square.bytes)
        try store.put(root.bytes, encoder.bytes, column: Self.column)
        remember(committed)
        return committed
    }

    /// True when the data of `dataRoot` is held here.
    public func contains(_ dataRoot: Hash) -> Bool {
        if recent.withLock({ $0.contains { $0.root == dataRoot } }) { return true }
        return (try? store.get(dataRoot.bytes, column: Self.column)) != nil
    }

    /// The committed square of `dataRoot`, or nil when this node does not hold its data.
    /// - Throws: `StoreError` when the store fails or the stored square does not have its root.
    public func committed(_ dataRoot: Hash) throws -> CommittedSquare? {
        if let hit = recent.withLock({ $0.first { $0.root == dataRoot }?.square }) { return hit }
        guard let record = try store.get(dataRoot.bytes, column: Self.column) else { return nil }
        let square: DataSquare
        do {
            var decoder = try CanonicalDecoder(record)
            let width = Int(try decoder.read(UInt16.self))
            square = try DataSquare(width: width, bytes: try decoder.readBytes())
            try decoder.finish()
        } catch { throw StoreError.corrupted("the square of data root \(dataRoot): \(error)") }
        let committed = try CommittedSquare(ExtendedSquare.extend(square, codec: codec(square.width)))
        guard committed.header.dataRoot == dataRoot else {
            throw StoreError.corrupted("the square stored under \(dataRoot) has root \(committed.header.dataRoot)")
        }
        remember(committed)
        return committed
    }

    /// The original square bytes a peer gets for `dataRoot` (what `put` takes back), or nil.
    public func original(_ dataRoot: Hash) throws -> DataSquare? {
        try committed(dataRoot).map { try $0.square.original() }
    }

    private func remember(_ committed: CommittedSquare) {
        recent.withLock { recent in
            recent.removeAll { $0.root == committed.header.dataRoot }
            recent.insert((committed.header.dataRoot, committed), at: 0)
            if recent.count > Self.recentCapacity { recent.removeLast() }
        }
    }

    private func codec(_ width: Int) throws -> ErasureCodec {
        if let known = codecs.withLock({ $0[width] }) { return known }
        let codec = try ErasureCodec(dataShards: width)
        codecs.withLock { $0[width] = codec }
        return codec
    }
}
