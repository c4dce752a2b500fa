public import ChannelAdjudicator
public import ChannelCore
public import Primitives

/// A watchtower's decision core (sans-IO): for each channel of its clients it keeps O(1) state —
/// the parameters, the client's latest fully signed state and, for a metering provider, its best
/// preimage — and, given what the adjudicator holds now, says what to send: a newer state to refute
/// a stale registration, meter progress, the conclusion once the window closes, the client's
/// withdrawal. It never needs the client online; every action is idempotent, so a driver simply
/// re-evaluates after each block it sees (Docs/spec/channels.md, "Watchtower").
///
/// Child channels (sub- and virtual channels, ADR 0016) are watched too: their latest state is
/// registered when a watched parent that locks them is disputed, and whenever a registered child
/// state is older than the client's, inside the child's own challenge window.
public struct Watchtower: Sendable {
    /// One watched channel.
    public struct Watched: Sendable, Hashable {
        public let parameters: ChannelParameters
        /// The client's participant index.
        public let client: Int
        /// The latest fully signed state the client has handed over.
        public fileprivate(set) var latest: SignedState
        /// The client's best meter evidence against `latest` (a provider's preimage and its units).
        public fileprivate(set) var meter: (preimage: Hash, units: UInt64)?
        /// True for a child channel: it is registered with `RegisterChild` and never concluded itself.
        public let isChild: Bool

        public static func == (lhs: Watched, rhs: Watched) -> Bool {
            lhs.parameters == rhs.parameters && lhs.client == rhs.client && lhs.latest == rhs.latest
                && lhs.meter?.preimage == rhs.meter?.preimage && lhs.meter?.units == rhs.meter?.units
                && lhs.isChild == rhs.isChild
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(parameters)
            hasher.combine(latest)
        }
    }

    /// What to send for a channel now.
    public enum Action: Sendable, Hashable {
        case register(ChannelParameters, SignedState)
        case registerChild(ChannelParameters, SignedState)
        case progress(channelID: Hash, preimage: Hash, units: UInt64)
        case conclude(Hash)
        case withdraw(channelID: Hash, participant: UInt8)
    }

    /// Why a state was not taken.
    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        case invalid(ChannelError)
        case notNewer(held: UInt64, offered: UInt64)
        case unknownChannel(Hash)

        public var description: String {
            switch self {
            case .invalid(let error): "the state does not verify: \(error)"
            case .notNewer(let held, let offered): "version \(offered) is not newer than the held \(held)"
            case .unknownChannel(let id): "channel \(id.hex) is not watched"
            }
        }
    }

    public let chainID: String
    public private(set) var channels: [Hash: Watched] = [:]

    public init(chainID: String) { self.chainID = chainID }

    /// Starts watching for `client` (a participant index), or takes a newer state for a watched
    /// channel (`child`: a sub- or virtual channel). States are checked as the adjudicator would, so
    /// a bad one is refused here, not on chain.
    public mutating func watch(
        parameters: ChannelParameters, client: Int, latest: SignedState, child: Bool = false
    ) throws(Refusal) {
        do { try latest.verify(parameters: parameters, chainID: chainID) } catch { throw .invalid(error) }
        let id = parameters.channelID(chainID: chainID)
        if let held = channels[id], held.latest.state.version >= latest.state.version {
            throw .notNewer(held: held.latest.state.version, offered: latest.state.version)
        }
        channels[id] = Watched(parameters: parameters, client: client, latest: latest, meter: nil, isChild: child)
    }

    /// Records a provider's meter evidence for the watched channel's latest state.
    public mutating func meterEvidence(channelID: Hash, preimage: Hash, units: UInt64) throws(Refusal) {
        guard var watched = channels[channelID] else { throw .unknownChannel(channelID) }
        if let held = watched.meter, held.units >= units { return }
        watched.meter = (preimage, units)
        channels[channelID] = watched
    }

    /// What to send for the watched parent channel `channelID`, given the adjudicator's `record`
    /// at block `height` and the registered records of the child channels it locks (absent: none).
    /// While the parent is disputed, this includes what its watched children need (see
    /// `childActions`), ahead of the conclusion that would freeze them.
    public func actions(
        channelID: Hash, record: ChannelRecord, height: UInt64, children: [Hash: ChildRecord] = [:]
    ) -> [Action] {
        guard let watched = channels[channelID], !watched.isChild else { return [] }
        // A disputed parent concludes from its children's registered states: ours go first.
        var childActions: [Action] = []
        var childWindowOpen = false
        if let dispute = record.dispute, record.payouts == nil {
            for sub in dispute.state.allocation.locked where sub.isChannel {
                let registered = children[sub.id]
                if let registered, height < registered.timeout { childWindowOpen = true }
                guard let child = channels[sub.id], child.isChild else { continue }
                if let registered {
                    childActions += self.childActions(channelID: sub.id, record: registered, height: height)
                } else {
                    childActions.append(.registerChild(child.parameters, child.latest))
                    childWindowOpen = true
                }
            }
        }
        var actions = parentActions(watched, channelID: channelID, record: record, height: height)
        // The parent concludes only once its children's windows have closed.
        if childWindowOpen { actions.removeAll { $0 == .conclude(channelID) } }
        return childActions + actions
    }

    /// What to send for the watched child channel `channelID` at block `height`, given its
    /// registered record (nil: none): a newer state against an older registration, meter evidence
    /// against the same state; nothing once the child's window has closed.
    public func childActions(channelID: Hash, record: ChildRecord?, height: UInt64) -> [Action] {
        guard let watched = channels[channelID], watched.isChild, let record, height < record.timeout else {
            return []
        }
        if record.state.version < watched.latest.state.version {
            return [.registerChild(watched.parameters, watched.latest)]
        }
        if record.state == watched.latest.state, let meter = watched.meter, meter.units > record.meterUnits {
            return [.progress(channelID: channelID, preimage: meter.preimage, units: meter.units)]
        }
        return []
    }

    private func parentActions(_ watched: Watched, channelID: Hash, record: ChannelRecord, height: UInt64) -> [Action] {
        if let payouts = record.payouts {
            let index = watched.client
            guard !record.withdrawn[index], payouts[index] > 0 else { return [] }
            return [.withdraw(channelID: channelID, participant: UInt8(index))]
        }
        guard let dispute = record.dispute else { return [] }
        guard height < dispute.timeout else { return [.conclude(channelID)] }
        if dispute.state.version < watched.latest.state.version {
            return [.register(watched.parameters, watched.latest)]
        }
        if dispute.state == watched.latest.state, let meter = watched.meter, meter.units > dispute.meterUnits {
            return [.progress(channelID: channelID, preimage: meter.preimage, units: meter.units)]
        }
        return []
    }
}
