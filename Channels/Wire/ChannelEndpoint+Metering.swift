public import ChannelCore
public import ChannelMetering
internal import Logging
internal import PeerNetwork
public import Primitives

/// A unit the payer received (and pays for as it arrives).
public struct MeteredUnit: Hashable, Sendable {
    /// Its number, 1-based over the session.
    public let number: UInt64
    /// What the provider served (a token's bytes).
    public let payload: [UInt8]
}

/// What a provider is asked to serve.
public struct MeterRequest: Hashable, Sendable {
    public let sessionID: Hash
    public let terms: MeterTerms
    /// The most units the payer will take.
    public let maxUnits: UInt64
    /// The request itself (a prompt), opaque to the channel.
    public let request: [UInt8]
}

/// The provider's figures for its session.
public struct MeterStatus: Hashable, Sendable {
    public let sessionID: Hash
    public let served: UInt64
    public let paid: UInt64
    public let settled: UInt64
}

/// Progress of a metering session, reported to an observer as it happens (for live displays and
/// latency measurement).
public enum MeterProgress: Hashable, Sendable {
    /// The provider sent unit `number`.
    case served(UInt64)
    /// The provider verified payment for every unit up to `through`.
    case paid(through: UInt64)
    /// A checkpoint or the session's end is fully signed: `units` units are settled.
    case settled(units: UInt64)
}

/// Why a metered stream ended early.
public enum MeteringError: Error, Hashable, Sendable, CustomStringConvertible {
    case sessionOpen
    case providerEnded(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .sessionOpen: "a metering session is already open on this channel"
        case .providerEnded(let reason): "the provider ended the session: \(reason)"
        case .invalid(let reason): "metering: \(reason)"
        }
    }
}

/// The metering session an endpoint runs, as payer or provider (Docs/spec/channels.md, "Metering
/// on the wire").
struct MeteringSession {
    enum Role {
        case payer(MeterPayer, AsyncThrowingStream<MeteredUnit, any Error>.Continuation)
        case provider(MeterProvider)
    }

    let id: Hash
    var role: Role
    var maxUnits: UInt64
    /// The payer: a checkpoint or close it proposed is waiting for the answer.
    var settling = false
    /// The session should end, and why (the peer said so, the reader stopped, or the peer broke
    /// the protocol): the payer settles, the provider serves no more.
    var ending: String?
    /// The provider: a serving task is running.
    var serving = false
    /// Tests: the payer stops revealing preimages after this many units (a payer who vanishes).
    var stopPayingAfter: UInt64?

    /// The provider's reasons for a session that ended as it should.
    static let servedAll = "served the units asked for"
    static let sourceEnded = "done"
    static let completions: Set<String> = [servedAll, sourceEnded, "the payer stopped reading"]
}

extension ChannelEndpoint {
    /// The milliseconds on this side's clock, for the meter's time-based checkpoints.
    static var nowMilliseconds: UInt64 {
        let since = ContinuousClock.now - ChannelEndpoint.epoch
        return UInt64(since.components.seconds) * 1_000 + UInt64(since.components.attoseconds / 1_000_000_000_000_000)
    }
    static let epoch = ContinuousClock.now

    // MARK: - Payer

    /// Opens a metering session with the peer as provider (one signed update locking `escrow`),
    /// asks it to serve `request`, and returns the units as they arrive. Each unit is paid (one
    /// hash-chain preimage) as it arrives; every `terms.segmentLength` units, or when paid units
    /// have waited `checkpointInterval`, a checkpoint moves the paid amount to the provider.
    /// When the provider ends the session, the paid units are settled and the rest of the escrow
    /// returns to us (a non-final update) before the stream finishes.
    public func stream(
        request: [UInt8],
        terms: MeterTerms,
        escrow: UInt64,
        maxUnits: UInt64,
        checkpointInterval: Duration? = nil,
        seed: Hash = Hashing.sha256(Ed25519.PrivateKey.generate().seed)
    ) async throws -> AsyncThrowingStream<MeteredUnit, any Error> {
        guard metering == nil, current.state.appData.isEmpty else { throw MeteringError.sessionOpen }
        var payer = MeterPayer(terms: terms, seed: seed)
        if let interval = checkpointInterval {
            payer.checkpointInterval =
                UInt64(interval.components.seconds) * 1_000
                + UInt64(interval.components.attoseconds / 1_000_000_000_000_000)
        }
        let sessionID = Hashing.sha256(Array("aether/meter/session/v1".utf8) + seed.bytes + payer.root.bytes)
        let opening: ChannelState
        do {
            opening = try MeterUpdates.open(
                from: tip, sessionID: sessionID, terms: terms, providerIndex: 1 - ourIndex, escrow: escrow,
                root: payer.root)
        } catch {
            throw MeteringError.invalid("\(error)")
        }
        _ = try await propose(opening)
        let (units, continuation) = AsyncThrowingStream.makeStream(of: MeteredUnit.self)
        metering = MeteringSession(id: sessionID, role: .payer(payer, continuation), maxUnits: maxUnits)
        setRule(payer.rule)
        continuation.onTermination = { [weak self] _ in Task { await self?.readerStopped(sessionID) } }
        send(.meter(.request(sessionID: sessionID, maxUnits: maxUnits, request: request)))
        return units
    }

    private func readerStopped(_ id: Hash) {
        guard var session = metering, session.id == id, case .payer = session.role, session.ending == nil else {
            return
        }
        session.ending = "the payer stopped reading"
        metering = session
        send(.meter(.end(sessionID: id, reason: "the payer stopped reading")))
        settlePayer()
    }

    /// Test hook: the payer stops paying after `units` units, as a payer that vanished would.
    func stopPaying(after units: UInt64) {
        metering?.stopPayingAfter = units
    }

    private func payerReceived(_ id: Hash, first: UInt64, payloads: [[UInt8]]) {
        guard var session = metering, session.id == id, case .payer(var payer, let continuation) = session.role else {
            return
        }
        guard first == payer.received + 1, payer.received + UInt64(payloads.count) <= session.maxUnits else {
            protocolViolation("units \(first)… out of order or beyond the \(session.maxUnits) asked for")
            return
        }
        for (offset, payload) in payloads.enumerated() {
            payer.unitReceived()
            continuation.yield(MeteredUnit(number: first + UInt64(offset), payload: payload))
        }
        session.role = .payer(payer, continuation)
        metering = session
        payUnits()
    }

    /// Reveals preimages for every received, unpaid unit the segment allows, and starts a
    /// checkpoint when one is due.
    func payUnits() {
        guard var session = metering, case .payer(var payer, let continuation) = session.role, !session.settling else {
            return
        }
        var preimages: [Hash] = []
        let now = Self.nowMilliseconds
        while payer.paid < payer.received, payer.paid < (session.stopPayingAfter ?? .max) {
            guard let preimage = try? payer.pay(now: now) else { break }
            preimages.append(preimage)
        }
        session.role = .payer(payer, continuation)
        metering = session
        if !preimages.isEmpty { send(.meter(.ticks(sessionID: session.id, preimages: preimages))) }
        if session.ending != nil {
            settlePayer()
        } else if payer.isCheckpointDue(now: now) {
            proposeSettlement(try? payer.checkpoint(from: tip))
        }
    }

    /// The payer ends the session: settles the paid units and takes back the rest of the escrow.
    private func settlePayer() {
        guard let session = metering, case .payer(let payer, _) = session.role, !session.settling else { return }
        proposeSettlement(try? payer.close(from: tip, final: false))
    }

    private func proposeSettlement(_ state: ChannelState?) {
        guard let state, metering != nil else { return }
        metering?.settling = true
        proposeWithoutWaiting(state)
    }

    // MARK: - Provider

    /// Serves metered sessions payers open on this channel: accepts openings `policy` allows and
    /// serves each request from `source`, one unit per element, while at most W units are unpaid.
    /// A payer that stops paying gets at most W more units: serving waits for payment, and ends
    /// the session after `stallTimeout` without it.
    ///
    /// `fundingCheck`, given the channel's current state, returns why the chain does not back it
    /// (nil when it does): the provider checks it before serving a request, since payments in an
    /// unfunded channel are worth nothing.
    public func provide(
        policy: MeterOpenPolicy,
        stallTimeout: Duration = .seconds(30),
        fundingCheck: (@Sendable (ChannelState) async -> String?)? = nil,
        source: @escaping @Sendable (MeterRequest) -> AsyncStream<[UInt8]>
    ) {
        providerPolicy = ProviderPolicy(
            open: policy, stallTimeout: stallTimeout, fundingCheck: fundingCheck, source: source)
        setRule(MeterRule(acceptedUnits: 0...0, openPolicy: policy))
    }

    /// Reports the session's progress on this side to `observer`, called on the endpoint's actor
    /// (keep it short).
    public func observeMeter(_ observer: @escaping @Sendable (MeterProgress) -> Void) {
        meterObserver = observer
    }

    /// The provider's figures for the open session, if any.
    public var meterStatus: MeterStatus? {
        guard let session = metering, case .provider(let provider) = session.role else { return nil }
        return MeterStatus(
            sessionID: session.id, served: provider.served, paid: provider.paid, settled: provider.settled)
    }

    private func providerRequested(_ id: Hash, maxUnits: UInt64, request: [UInt8]) {
        guard var session = metering, session.id == id, case .provider(let provider) = session.role,
            !session.serving, let policy = providerPolicy
        else {
            protocolViolation("a request for a session that is not open, or already served")
            return
        }
        session.serving = true
        session.maxUnits = maxUnits
        metering = session
        let meterRequest = MeterRequest(sessionID: id, terms: provider.terms, maxUnits: maxUnits, request: request)
        let state = current.state
        Task { [weak self] in
            if let check = policy.fundingCheck, let problem = await check(state) {
                await self?.endServing(id, reason: "not funded on chain: \(problem)")
                return
            }
            let source = policy.source(meterRequest)
            var sent: UInt64 = 0
            for await payload in source {
                guard sent < maxUnits, let self, await self.serve(id, payload) else { break }
                sent += 1
            }
            await self?.endServing(
                id, reason: sent >= maxUnits ? MeteringSession.servedAll : MeteringSession.sourceEnded)
        }
    }

    /// Sends one unit once fewer than W are unpaid; false when the session is over or the payer
    /// stalled.
    private func serve(_ id: Hash, _ payload: [UInt8]) async -> Bool {
        let deadline = ContinuousClock.now + (providerPolicy?.stallTimeout ?? .seconds(30))
        while true {
            guard var session = metering, session.id == id, case .provider(var provider) = session.role,
                session.ending == nil
            else {
                return false
            }
            if provider.canServe {
                guard let number = try? provider.serve() else { return false }
                session.role = .provider(provider)
                metering = session
                send(.meter(.units(sessionID: id, first: number, payloads: [payload])))
                meterObserver?(.served(number))
                return true
            }
            guard ContinuousClock.now < deadline else {
                logger.warning("the payer left \(provider.unpaid) units unpaid; ending the session")
                metering?.ending = "the payer stopped paying (\(provider.unpaid) units unpaid)"
                return false
            }
            await withCheckedContinuation { continuation in servingWaiter = continuation }
        }
    }

    private func endServing(_ id: Hash, reason: String) {
        guard let session = metering, session.id == id else { return }
        let reason = session.ending ?? reason
        metering?.ending = reason
        send(.meter(.end(sessionID: id, reason: reason)))
    }

    private func providerReceivedTicks(_ id: Hash, _ preimages: [Hash]) {
        guard var session = metering, session.id == id, case .provider(var provider) = session.role else { return }
        for preimage in preimages {
            do { try provider.receive(preimage) } catch {
                session.role = .provider(provider)
                metering = session
                protocolViolation("a payment did not verify: \(error)")
                return
            }
        }
        session.role = .provider(provider)
        metering = session
        meterObserver?(.paid(through: provider.paid))
        setRule(MeterRule(acceptedUnits: provider.rule.acceptedUnits, openPolicy: providerPolicy?.open))
        wakeServer()
    }

    /// Wakes the serving task (payment arrived, a timer fired, or the session ended).
    func wakeServer() {
        servingWaiter?.resume()
        servingWaiter = nil
    }

    // MARK: - Both sides

    func handle(_ message: MeterMessage) {
        switch message {
        case .request(let id, let maxUnits, let request): providerRequested(id, maxUnits: maxUnits, request: request)
        case .units(let id, let first, let payloads): payerReceived(id, first: first, payloads: payloads)
        case .ticks(let id, let preimages): providerReceivedTicks(id, preimages)
        case .end(let id, let reason):
            guard var session = metering, session.id == id else { return }
            switch session.role {
            case .payer:
                if session.ending == nil { session.ending = reason }
                metering = session
                payUnits()
            case .provider:
                if session.ending == nil { session.ending = reason }
                metering = session
                wakeServer()
            }
        }
    }

    /// A fully signed state is on disk: advance the session it checkpoints, opens or ends.
    func stateSettled(_ signed: SignedState) {
        let state = signed.state
        switch metering?.role {
        case .payer(var payer, let continuation):
            guard metering?.settling == true, (try? payer.checkpointAccepted(state)) != nil else { return }
            metering?.settling = false
            meterObserver?(.settled(units: payer.settled))
            if state.appData.isEmpty {
                let reason = metering?.ending
                metering = nil
                setRule(PaymentRule())
                // Settled either way; a stream the provider cut short says why.
                if let reason, !MeteringSession.completions.contains(reason) {
                    continuation.finish(throwing: MeteringError.providerEnded(reason))
                } else {
                    continuation.finish()
                }
                return
            }
            metering?.role = .payer(payer, continuation)
            setRule(payer.rule)
            payUnits()
        case .provider(var provider):
            guard (try? provider.checkpointAccepted(state)) != nil else { return }
            meterObserver?(.settled(units: provider.settled))
            if state.appData.isEmpty {
                metering = nil
                wakeServer()
                setRule(MeterRule(acceptedUnits: 0...0, openPolicy: providerPolicy?.open))
                return
            }
            metering?.role = .provider(provider)
            setRule(MeterRule(acceptedUnits: provider.rule.acceptedUnits, openPolicy: providerPolicy?.open))
        case nil:
            guard providerPolicy != nil, let commitment = try? MeterCommitment(of: state),
                Int(commitment.providerIndex) == ourIndex, commitment.settledUnits == 0,
                let provider = try? MeterProvider(state: state)
            else { return }
            metering = MeteringSession(id: commitment.sessionID, role: .provider(provider), maxUnits: 0)
            setRule(MeterRule(acceptedUnits: provider.rule.acceptedUnits, openPolicy: providerPolicy?.open))
        }
    }

    /// A settlement the payer proposed was not accepted (refused, rejected, lost a tie, abandoned):
    /// it is proposed again on the next payment or timer.
    func settlementFailed(_ state: ChannelState) {
        guard metering?.settling == true, case .payer = metering?.role else { return }
        metering?.settling = false
    }

    /// Time passed: a payer's time-based checkpoint may be due.
    func meterTimer() {
        guard let session = metering, case .payer = session.role else {
            if case .provider = metering?.role { wakeServer() }
            return
        }
        payUnits()
    }

    private func protocolViolation(_ reason: String) {
        logger.warning("metering: \(reason)")
        network.penalize(peer: peer, reason: "metering: \(reason)")
        if let session = metering {
            send(.meter(.end(sessionID: session.id, reason: reason)))
            metering?.ending = reason
            if case .payer = session.role { payUnits() } else { wakeServer() }
        }
    }
}

/// What a provider serves and accepts.
struct ProviderPolicy {
    let open: MeterOpenPolicy
    let stallTimeout: Duration
    let fundingCheck: (@Sendable (ChannelState) async -> String?)?
    let source: @Sendable (MeterRequest) -> AsyncStream<[UInt8]>
}
