public import Chain
public import ChannelCore
public import Primitives

extension Adjudicator {
    /// Funds a channel: `amount` AIC from the sender into escrow, credited to `participant`.
    public struct Deposit: ModuleMessage, Hashable {
        public static let route = MessageRoute(module: Adjudicator.moduleName, kind: 1)
        public let channelID: Hash
        public let participant: UInt8
        public let amount: UInt64

        public init(channelID: Hash, participant: UInt8, amount: UInt64) {
            self.channelID = channelID
            self.participant = participant
            self.amount = amount
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(channelID)
            encoder.write(participant)
            encoder.write(amount)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            channelID = try decoder.read(Hash.self)
            participant = try decoder.read(UInt8.self)
            amount = try decoder.read(UInt64.self)
        }
    }

    /// Registers a fully signed state: opens the dispute (its window starts now), replaces a
    /// lower registered version within the window (a refutation), or concludes at once when final.
    public struct Register: ModuleMessage, Hashable {
        public static let route = MessageRoute(module: Adjudicator.moduleName, kind: 2)
        public let parameters: ChannelParameters
        public let signed: SignedState

        public init(parameters: ChannelParameters, signed: SignedState) {
            self.parameters = parameters
            self.signed = signed
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(parameters)
            encoder.write(signed)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            parameters = try decoder.read(ChannelParameters.self)
            signed = try decoder.read(SignedState.self)
        }
    }

    /// Progress of a metering session in a dispute: the provider shows a hash-chain preimage `units`
    /// steps below the registered segment root (at most K), earning `units × price` from the session.
    public struct ProgressMeter: ModuleMessage, Hashable {
        public static let route = MessageRoute(module: Adjudicator.moduleName, kind: 3)
        public let channelID: Hash
        public let preimage: Hash
        public let units: UInt64

        public init(channelID: Hash, preimage: Hash, units: UInt64) {
            self.channelID = channelID
            self.preimage = preimage
            self.units = units
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(channelID)
            encoder.write(preimage)
            encoder.write(units)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            channelID = try decoder.read(Hash.self)
            preimage = try decoder.read(Hash.self)
            units = try decoder.read(UInt64.self)
        }
    }

    /// Concludes a dispute whose window has closed: the payouts are fixed.
    public struct Conclude: ModuleMessage, Hashable {
        public static let route = MessageRoute(module: Adjudicator.moduleName, kind: 4)
        public let channelID: Hash

        public init(channelID: Hash) { self.channelID = channelID }

        public func encode(to encoder: inout CanonicalEncoder) { encoder.write(channelID) }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            channelID = try decoder.read(Hash.self)
        }
    }

    /// Pays a participant's payout of a concluded channel to its account (anyone may send it).
    public struct Withdraw: ModuleMessage, Hashable {
        public static let route = MessageRoute(module: Adjudicator.moduleName, kind: 5)
        public let channelID: Hash
        public let participant: UInt8

        public init(channelID: Hash, participant: UInt8) {
            self.channelID = channelID
            self.participant = participant
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(channelID)
            encoder.write(participant)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            channelID = try decoder.read(Hash.self)
            participant = try decoder.read(UInt8.self)
        }
    }

    /// Registers a fully signed state of a child channel (a sub- or virtual channel): the highest
    /// version stays, until a parent that locks the child concludes and freezes it (ADR 0016).
    public struct RegisterChild: ModuleMessage, Hashable {
        public static let route = MessageRoute(module: Adjudicator.moduleName, kind: 6)
        public let parameters: ChannelParameters
        public let signed: SignedState

        public init(parameters: ChannelParameters, signed: SignedState) {
            self.parameters = parameters
            self.signed = signed
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(parameters)
            encoder.write(signed)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            parameters = try decoder.read(ChannelParameters.self)
            signed = try decoder.read(SignedState.self)
        }
    }
}
