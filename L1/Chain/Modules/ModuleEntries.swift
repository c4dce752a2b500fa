public import Primitives

/// A module's state as its raw stored entries (module-relative key → value): the genesis format of
/// modules whose genesis is simply what they store. Encoded as a count, then each key and value as
/// byte strings in strictly ascending key order, so the encoding is unique.
public struct ModuleEntries: Hashable, Sendable, CanonicalCodable {
    public var entries: [[UInt8]: [UInt8]]

    public init(entries: [[UInt8]: [UInt8]] = [:]) { self.entries = entries }

    /// Every entry of `state`.
    public init(_ state: ModuleStateReader) throws(StateAccessError) {
        var entries: [[UInt8]: [UInt8]] = [:]
        for (key, value) in try state.entries() { entries[key] = value }
        self.entries = entries
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.writeLength(entries.count)
        for key in entries.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            encoder.write(bytes: key)
            encoder.write(bytes: entries[key]!)
        }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let count = try decoder.readLength(limit: decoder.limits.maxCollectionCount)
        var entries: [[UInt8]: [UInt8]] = [:]
        var previous: [UInt8]?
        for _ in 0..<count {
            let offset = decoder.offset
            let key = try decoder.readBytes()
            if let previous, !previous.lexicographicallyPrecedes(key) { throw .unsortedKeys(offset: offset) }
            entries[key] = try decoder.readBytes()
            previous = key
        }
        self.entries = entries
    }
}
