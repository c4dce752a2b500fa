public import Chain
public import DataAvailability
public import Primitives
internal import Storage

/// The L1's data-availability module: domains' block data commitments, and the bad-encoding
/// proofs that reject them and slash their posters (Docs/spec/data-availability.md, ADR 0010).
///
/// The data itself is not state: validators hold it beside the chain and vote for a block with a
/// commitment only when they hold the data it commits to (the node's availability rule); this
/// module records who committed to what, and enforces the rules anyone can check.
public struct DataAvailabilityModule: ApplicationModule {
    /// `da`.
    public static let moduleName = "da"
    /// The longest domain id.
    public static let maximumDomainBytes = DomainID.maximumBytes

    public var name: String { Self.moduleName }

    /// Staking, as far as this module needs it.
    public let domains: any DomainKeeper

    /// The module, reading domain proposers from `domains`.
    public init(domains: any DomainKeeper) {
        self.domains = domains
    }

    public var messageTypes: [MessageType] {
        [
            MessageType(kind: PostCommitment.route.kind, name: "post_commitment"),
            MessageType(kind: ReportBadEncoding.route.kind, name: "report_bad_encoding"),
        ]
    }

    /// A domain id: 1–64 bytes of ASCII letters, digits, `.`, `_` and `-` (as staking's).
    public static func isDomainID(_ domain: String) -> Bool { DomainID.isValid(domain) }

    // MARK: - Messages

    public func validate(_ message: Message) throws {
        switch message.kind {
        case PostCommitment.route.kind:
            let post = try message.decode(PostCommitment.self)
            guard Self.isDomainID(post.domain) else { throw DataAvailabilityModuleError.invalidDomain(post.domain) }
            guard (1...UInt16(ShareFormat.maxOriginalWidth)).contains(post.originalWidth) else {
                throw DataAvailabilityModuleError.invalidWidth(post.originalWidth)
            }
        case ReportBadEncoding.route.kind:
            let report = try message.decode(ReportBadEncoding.self)
            guard Self.isDomainID(report.domain) else { throw DataAvailabilityModuleError.invalidDomain(report.domain) }
            guard !report.proof.items.isEmpty else { throw DataAvailabilityModuleError.emptyReport }
        default:
            throw DataAvailabilityModuleError.unknownMessageKind(message.kind)
        }
    }

    public func handle(_ message: Message, context: MessageContext) throws {
        switch message.kind {
        case PostCommitment.route.kind: try post(try message.decode(PostCommitment.self), context: context)
        case ReportBadEncoding.route.kind: try report(try message.decode(ReportBadEncoding.self), context: context)
        default: throw DataAvailabilityModuleError.unknownMessageKind(message.kind)
        }
    }

    private func post(_ post: PostCommitment, context: MessageContext) throws {
        let store = context.store
        guard let proposer = try domains.proposer(domain: post.domain, height: post.height, context: context) else {
            throw DataAvailabilityModuleError.noProposer(domain: post.domain)
        }
        guard proposer == context.sender else {
            throw DataAvailabilityModuleError.notProposer(
                domain: post.domain, height: post.height, proposer: proposer, sender: context.sender)
        }
        guard try Self.commitment(domain: post.domain, height: post.height, in: store) == nil else {
            throw DataAvailabilityModuleError.alreadyPosted(domain: post.domain, height: post.height)
        }
        if let latest = try Self.latestHeight(domain: post.domain, in: store), post.height <= latest {
            throw DataAvailabilityModuleError.heightNotIncreasing(
                domain: post.domain, height: post.height, latest: latest)
        }
        let commitment = Commitment(
            dataRoot: post.dataRoot, originalWidth: post.originalWidth, poster: context.sender,
            postedAt: context.block.height)
        try store.set(Keys.commitment(domain: post.domain, height: post.height), Canonical.encode(commitment))
        try store.set(Keys.latest(domain: post.domain), Keys.bigEndian(post.height))
        store.emit(
            "commitment",
            [
                EventAttribute("domain", post.domain), EventAttribute("height", "\(post.height)"),
                EventAttribute("data_root", post.dataRoot.hex),
                EventAttribute("width", "\(post.originalWidth)"),
                EventAttribute("poster", context.sender.description),
            ])
    }

    private func report(_ report: ReportBadEncoding, context: MessageContext) throws {
        let store = context.store
        guard var commitment = try Self.commitment(domain: report.domain, height: report.height, in: store) else {
            throw DataAvailabilityModuleError.noCommitment(domain: report.domain, height: report.height)
        }
        guard !commitment.rejected else {
            throw DataAvailabilityModuleError.alreadyRejected(domain: report.domain, height: report.height)
        }
        let part = report.proof
        let k: Int
        do {
            k = try part.verifyLine(dataRoot: commitment.dataRoot).originalWidth
            for item in part.items { try part.verify(item) }
        } catch { throw DataAvailabilityModuleError.invalidProof(error) }
        guard k == Int(commitment.originalWidth) else {
            throw DataAvailabilityModuleError.widthMismatch(committed: commitment.originalWidth, proof: k)
        }
        // Merge with the parts received before; every share in state has been checked.
        let key = Keys.pendingProof(
            domain: report.domain, height: report.height, axis: part.axis.rawValue, index: UInt16(part.index))
        var items: [Int: BadEncodingProof.Item] = [:]
        if let stored = try store.get(key) {
            let earlier: BadEncodingProof
            do { earlier = try Canonical.decode(BadEncodingProof.self, from: stored) } catch {
                throw StateAccessError.storage(.corrupted("pending bad-encoding proof: \(error)"))
            }
            for item in earlier.items { items[item.position] = item }
        }
        for item in part.items where items[item.position] == nil { items[item.position] = item }
        let sorted = items.keys.sorted().prefix(k).compactMap { items[$0] }
        let merged = BadEncodingProof(
            axis: part.axis, index: part.index, rootsRoot: part.rootsRoot, root: part.root, rootProof: part.rootProof,
            items: sorted)
        let attributes = [
            EventAttribute("domain", report.domain), EventAttribute("height", "\(report.height)"),
            EventAttribute("line", "\(part.axis) \(part.index)"),
        ]
        guard sorted.count == k else {
            try store.set(key, Canonical.encode(merged))
            store.emit("bad_encoding_part", attributes + [EventAttribute("shares", "\(sorted.count)/\(k)")])
            return
        }
        try store.delete(key)
        do { try merged.verify(dataRoot: commitment.dataRoot) } catch {
            // k checked shares of the line decode to its committed root: the line is a codeword.
            store.emit("bad_encoding_refuted", attributes)
            return
        }
        commitment.rejected = true
        try store.set(Keys.commitment(domain: report.domain, height: report.height), Canonical.encode(commitment))
        let burned = try domains.slashForBadEncoding(
            commitment.poster, domain: report.domain, height: report.height, context: context)
        store.emit(
            "bad_encoding",
            attributes + [
                EventAttribute("poster", commitment.poster.description),
                EventAttribute("burned", "\(burned)"),
                EventAttribute("reporter", context.sender.description),
            ])
    }

    // MARK: - Genesis and queries

    /// The module's state as raw entries (commitments, latest heights, pending proofs), each checked
    /// on import.
    public typealias Genesis = ModuleEntries

    public func initGenesis(_ genesis: [UInt8], store: ModuleStore) throws {
        let state = try Canonical.decode(Genesis.self, from: genesis)
        for (key, value) in state.entries {
            switch key.first {
            case 0x01: _ = try Canonical.decode(Commitment.self, from: value)
            case 0x02: guard value.count == 8 else { throw ModuleFailure(code: 1, message: "bad latest height") }
            case 0x03: _ = try Canonical.decode(BadEncodingProof.self, from: value)
            default: throw ModuleFailure(code: 1, message: "unknown DA genesis key tag \(key.first ?? 0)")
            }
            try store.set(key, value)
        }
    }

    public func exportGenesis(_ state: ModuleStateReader) throws -> [UInt8] {
        Canonical.encode(try ModuleEntries(state))
    }

    /// `commitment` with arguments `canonical(domain) ‖ height`: the `Commitment` of that block.
    public func stateKey(for query: ModuleQuery) throws(QueryError) -> [UInt8] {
        guard query.path == "commitment" else { throw .unsupportedQuery(module: name, path: query.path) }
        do {
            var decoder = try CanonicalDecoder(query.arguments)
            let domain = try decoder.read(String.self, maxLength: Self.maximumDomainBytes)
            let height = try decoder.read(UInt64.self)
            try decoder.finish()
            return Keys.commitment(domain: domain, height: height)
        } catch {
            throw .invalidArguments(module: name, path: query.path, reason: "\(error)")
        }
    }

    /// The arguments of a `commitment` query.
    public static func commitmentQuery(domain: String, height: UInt64) -> ModuleQuery {
        var encoder = CanonicalEncoder()
        encoder.write(domain)
        encoder.write(height)
        return ModuleQuery(module: moduleName, path: "commitment", arguments: encoder.bytes)
    }
}
