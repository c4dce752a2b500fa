public import ChannelCore
public import Primitives

/// The prices and bounds of a metering session, fixed when it opens.
public struct MeterTerms: Hashable, Sendable {
    /// AIC base units per unit (token) served.
    public let unitPrice: UInt64
    /// K: units per segment; every K paid units a checkpoint settles them and commits the next root,
    /// so a dispute needs at most K hash steps on chain.
    public let segmentLength: UInt32
    /// W: the most units the provider serves unpaid (its exposure).
    public let creditWindow: UInt32

    /// Terms with `segmentLength >= 1` and `creditWindow >= 1`.
    /// - Throws: `MeterError.invalidTerms` otherwise.
    public init(unitPrice: UInt64, segmentLength: UInt32, creditWindow: UInt32) throws(MeterError) {
        guard segmentLength >= 1 else { throw .invalidTerms("the segment length K must be at least 1") }
        guard creditWindow >= 1 else { throw .invalidTerms("the credit window W must be at least 1") }
        self.unitPrice = unitPrice
        self.segmentLength = segmentLength
        self.creditWindow = creditWindow
    }

    /// The price of `units` units, or nil on overflow.
    public func price(of units: UInt64) -> UInt64? {
        let (amount, overflow) = units.multipliedReportingOverflow(by: unitPrice)
        return overflow ? nil : amount
    }
}

/// What a channel state's app data holds while a session is open: the session, its terms, the
/// current segment's root and the units settled so far.
public struct MeterCommitment: Hashable, Sendable {
    /// The session id, also the id of the sub-allocation that locks its escrow.
    public var sessionID: Hash
    /// The session's terms.
    public var terms: MeterTerms
    /// The participant index of the provider (the payer is the other one).
    public var providerIndex: UInt8
    /// The root of the hash chain paying for the current segment.
    public var root: Hash
    /// Units settled by checkpoints so far (paid to the provider in the allocation).
    public var settledUnits: UInt64

    /// A commitment; see the property docs.
    public init(sessionID: Hash, terms: MeterTerms, providerIndex: UInt8, root: Hash, settledUnits: UInt64) {
        self.sessionID = sessionID
        self.terms = terms
        self.providerIndex = providerIndex
        self.root = root
        self.settledUnits = settledUnits
    }

    /// The commitment in `state`'s app data.
    /// - Throws: `MeterError.invalidState` when the app data is not one.
    public init(of state: ChannelState) throws(MeterError) {
        do {
            self = try Canonical.decode(MeterCommitment.self, from: state.appData)
        } catch {
            throw .invalidState("app data is not a meter commitment: \(error)")
        }
    }
}

extension MeterCommitment: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(sessionID)
        encoder.write(terms.unitPrice)
        encoder.write(terms.segmentLength)
        encoder.write(terms.creditWindow)
        encoder.write(providerIndex)
        encoder.write(root)
        encoder.write(settledUnits)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        sessionID = try decoder.read(Hash.self)
        let at = decoder.offset
        let price = try decoder.read(UInt64.self)
        let segmentLength = try decoder.read(UInt32.self)
        let creditWindow = try decoder.read(UInt32.self)
        do {
            terms = try MeterTerms(unitPrice: price, segmentLength: segmentLength, creditWindow: creditWindow)
        } catch {
            throw .invalidValue(offset: at, reason: error.description)
        }
        let indexAt = decoder.offset
        providerIndex = try decoder.read(UInt8.self)
        guard Int(providerIndex) < ChannelParameters.participantCount else {
            throw .invalidValue(offset: indexAt, reason: "provider index \(providerIndex) is not a participant")
        }
        root = try decoder.read(Hash.self)
        settledUnits = try decoder.read(UInt64.self)
    }
}
