public import ChannelCore
public import Primitives
public import Storage

/// A participant's channels on disk: per channel id, the parameters and the latest fully signed
/// state. Every write is synced before it returns: the endpoint writes a state before it sends
/// anything that acknowledges it, so a crash at any point leaves the latest state it acknowledged.
public struct ChannelStateStore: Sendable {
    public static let column = StoreColumn("channels.states")

    private let store: any KeyValueStore

    public init(store: any KeyValueStore) { self.store = store }

    /// The stored channel, or nil.
    /// - Throws: `StoreError`, or `CodecError` for a record that does not decode (a corrupt store).
    public func load(_ channelID: Hash) throws -> (parameters: ChannelParameters, latest: SignedState)? {
        guard let bytes = try store.get(channelID.bytes, column: Self.column) else { return nil }
        var decoder = try CanonicalDecoder(bytes)
        let parameters = try decoder.read(ChannelParameters.self)
        let latest = try decoder.read(SignedState.self)
        try decoder.finish()
        return (parameters, latest)
    }

    /// Stores `latest` as the channel's state, synced to disk before returning.
    public func save(parameters: ChannelParameters, latest: SignedState) throws {
        var encoder = CanonicalEncoder()
        encoder.write(parameters)
        encoder.write(latest)
        var batch = WriteBatch()
        batch.put(latest.state.channelID.bytes, encoder.bytes, column: Self.column)
        try store.write(batch, sync: true)
    }
}
