public import ChannelAdjudicator
public import ChannelCore
public import Primitives

/// A watchtower's decision core (sans-IO): for each channel of its clients it keeps O(1) state —
/// the parameters, the client's latest fully signed state and, for a metering provider, its best
/// preimage — and, given what the adjudicator holds now, says what to send: a newer state to refute
/// a stale registration, meter progress, the conclusion once the window closes, the client's
/// withdrawal. It never needs the client online; every action is idempotent, so a driver simply
/// re-evaluates after each block it sees (Docs/spec/channels.md, "Watchtower").
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

        public static func == (lhs: Watched, rhs: Watched) -> Bool {
            lhs.parameters == rhs.parameters && lhs.client == rhs.client && lhs.latest == rhs.latest
                && lhs.meter?.preimage == rhs.meter?.preimage && lhs.meter?.units == rhs.meter?.units
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(parameters)
            hasher.combine(latest)
        }
    }

    /// What to send for a channel now.
    public enum Action: Sendable, Hashable {
        case register(ChannelParameters, SignedState)
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
    /// channel. States are checked as the adjudicator would, so a bad one is refused here, not on chain.
    public mutating func watch(parameters: ChannelParameters, client: Int, latest: SignedState) throws(Refusal) {
        do { try latest.verify(parameters: parameters, chainID: chainID) } catch { throw .invalid(error) }
        let id = parameters.channelID(chainID: chainID)
        if let held = channels[id], held.latest.state.version >= latest.state.version {
            throw .notNewer(held: held.latest.state.version, offered: latest.state.version)
        }
        channels[id] = Watched(parameters: parameters, client: client, latest: latest, meter: nil)
    }

    /// Records a provider's meter evidence for the watched channel's latest state.
    public mutating func meterEvidence(channelID: Hash, preimage: Hash, units: UInt64) throws(Refusal) {
        guard var watched = channels[channelID] else { throw .unknownChannel(channelID) }
        if let held = watched.meter, held.units >= units { return }
        watched.meter = (preimage, units)
        channels[channelID] = watched
    }

    /// What to send for `channelID`, given the adjudicator's `record` at block `height`.
    public func actions(channelID: Hash, record: ChannelRecord, height: UInt64) -> [Action] {
        guard let watched = channels[channelID] else { return [] }
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
