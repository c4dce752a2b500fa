/// The validator network: authenticated, encrypted TCP links between Aether nodes, gossip with
/// de-duplication, and per-peer limits (Docs/spec/network.md).
public enum NetworkProtocol {
    /// The wire protocol version, part of the handshake prologue: nodes of different versions
    /// cannot complete a handshake.
    public static let version: UInt16 = 1
}
