import Application
import Chain
import Consensus
import DataAvailability
import DataAvailabilityModule
import Logging
import PeerNetwork
import Primitives
import RPC

/// Domain block data on the node (Docs/spec/data-availability.md, "On the L1"; ADR 0010):
/// - clients hand a square to any node (`submitDomainData`); the node extends and commits it,
///   stores it and gossips it to the other validators, who do the same;
/// - availability rule: a validator builds and votes only for blocks whose `da` commitments name
///   data it holds, so a commitment is final only once a quorum holds the data;
/// - `getDomainCommitment`, `getRowRoots`, `getShare` and `getNamespaceData` serve it, with proofs
///   against the committed data root.
extension ValidatorNode {
    /// A message on the domain data channel (4): a square, gossiped or answering a request, or a
    /// request for the square of a data root this node lacks.
    enum DomainDataMessage: CanonicalCodable {
        /// A square (`canonical(k) ‖ canonical(bytes)`); the receiver recomputes its root.
        case square(DataSquare)
        /// "Send me the square of this root"; the nonce keeps a repeated request from being
        /// de-duplicated away by the channel.
        case request(Hash, nonce: UInt64)

        func encode(to encoder: inout CanonicalEncoder) {
            switch self {
            case .square(let square):
                encoder.write(UInt8(0))
                encoder.write(UInt16(square.width))
                encoder.write(bytes: square.bytes)
            case .request(let root, let nonce):
                encoder.write(UInt8(1))
                encoder.write(root)
                encoder.write(nonce)
            }
        }

        init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            let tag = try decoder.read(UInt8.self)
            switch tag {
            case 0:
                let width = Int(try decoder.read(UInt16.self))
                let bytes = try decoder.readBytes(maxLength: ShareFormat.maxShares * ShareFormat.shareSize)
                do { self = .square(try DataSquare(width: width, bytes: bytes)) } catch {
                    throw .invalidValue(offset: decoder.offset, reason: "not a data square: \(error)")
                }
            case 1:
                self = .request(try decoder.read(Hash.self), nonce: try decoder.read(UInt64.self))
            default:
                throw .unknownTag(offset: decoder.offset, tag: UInt64(tag), type: "DomainDataMessage")
            }
        }
    }

    /// The data roots a transaction's `da` commitments name (none for other transactions).
    static func committedDataRoots(_ encoded: [UInt8]) -> [Hash] {
        guard let signed = try? SignedTransaction.decode(encoded) else { return [] }
        return committedDataRoots(signed)
    }

    static func committedDataRoots(_ signed: SignedTransaction) -> [Hash] {
        signed.transaction.messages.compactMap { message in
            guard message.route == DataAvailabilityModule.PostCommitment.route else { return nil }
            return (try? message.decode(DataAvailabilityModule.PostCommitment.self))?.dataRoot
        }
    }

    /// The data roots a block commits to that this node does not hold.
    func missingDomainData(_ block: Block) -> [Hash] {
        block.transactions.flatMap(Self.committedDataRoots).filter { !domainData.contains($0) }
    }

    /// Handles a data-channel message off the actor: stores a square (its root recomputed), or
    /// answers a request for a square this node holds.
    static func handleDomainData(
        _ payload: [UInt8], from peer: Ed25519.PublicKey, data: DomainDataStore, network: NetworkNode
    ) {
        let message: DomainDataMessage
        do { message = try Canonical.decode(DomainDataMessage.self, from: payload) } catch {
            network.penalize(peer: peer, reason: "malformed domain data: \(error)")
            return
        }
        switch message {
        case .square(let square):
            _ = try? data.put(square)
        case .request(let root, _):
            guard let square = try? data.original(root) else { return }
            _ = try? network.send(
                to: peer, channel: Channel.domainData.rawValue,
                payload: Canonical.encode(DomainDataMessage.square(square)))
        }
    }

    /// Asks the peers for the squares of `roots` this node lacks (a block it must vote on, or one it
    /// committed while it was down or missed the gossip), at most once a second per root.
    func requestMissingDomainData(_ roots: [Hash]) {
        let now = ContinuousClock.now
        for root in roots where !domainData.contains(root) {
            if let last = dataRequests[root], now - last < .seconds(1) { continue }
            dataRequests[root] = now
            let request = DomainDataMessage.request(root, nonce: UInt64.random(in: 0...UInt64.max))
            _ = try? network.broadcast(channel: Channel.domainData.rawValue, payload: Canonical.encode(request))
        }
        if dataRequests.count > 1_024 { dataRequests = dataRequests.filter { now - $0.value < .seconds(60) } }
    }

    // MARK: - JSON-RPC

    /// `submitDomainData`: checks, extends, commits and stores a square, then gossips it.
    static func submitDomainData(_ bytes: [UInt8], width: Int, data: DomainDataStore, network: NetworkNode)
        throws(RPCError) -> JSONValue
    {
        let square: DataSquare
        do { square = try DataSquare(width: width, bytes: bytes) } catch {
            throw .invalidParams("not a data square: \(error)", param: "square")
        }
        let committed: CommittedSquare
        do { committed = try data.put(square) } catch {
            throw .application(code: NodeRPC.unavailable, message: "cannot store the square: \(error)")
        }
        _ = try? network.broadcast(
            channel: Channel.domainData.rawValue, payload: Canonical.encode(DomainDataMessage.square(square)))
        return JSONValue(object: [
            "dataRoot": .string(committed.header.dataRoot.hex), "width": JSONValue(UInt64(width)),
            "extendedWidth": JSONValue(UInt64(committed.header.width)),
        ])
    }

    /// The committed `da` commitment of `domain` at `height`.
    func domainCommitment(domain: String, height: UInt64) throws(RPCError) -> DataAvailabilityModule.Commitment {
        let commitment: DataAvailabilityModule.Commitment?
        do {
            let state = application.chain.state(at: application.committedRoot).module(DataAvailabilityModule.moduleName)
            commitment = try DataAvailabilityModule.commitment(domain: domain, height: height, in: state)
        } catch {
            throw .application(code: NodeRPC.unavailable, message: "cannot read the DA state: \(error)")
        }
        guard let commitment else {
            throw .application(code: NodeRPC.notFound, message: "no commitment for \(domain) at height \(height)")
        }
        return commitment
    }

    func domainCommitmentJSON(domain: String, height: UInt64) throws(RPCError) -> JSONValue {
        let commitment = try domainCommitment(domain: domain, height: height)
        return JSONValue(object: [
            "domain": .string(domain), "height": JSONValue(height), "dataRoot": .string(commitment.dataRoot.hex),
            "width": JSONValue(UInt64(commitment.originalWidth)), "poster": .string(commitment.poster.description),
            "postedAt": JSONValue(commitment.postedAt), "rejected": .bool(commitment.rejected),
            "held": .bool(domainData.contains(commitment.dataRoot)),
        ])
    }

    /// The committed square behind `domain`'s block at `height`, when this node holds it.
    func domainSquare(domain: String, height: UInt64) throws(RPCError) -> CommittedSquare {
        let commitment = try domainCommitment(domain: domain, height: height)
        let square: CommittedSquare?
        do { square = try domainData.committed(commitment.dataRoot) } catch {
            logger.error("domain data of \(domain) at \(height): \(error)")
            throw .application(code: NodeRPC.unavailable, message: "the node's domain data could not be read")
        }
        guard let square else {
            throw .application(
                code: NodeRPC.unavailable, message: "this node does not hold the data of \(domain) at height \(height)")
        }
        return square
    }

    func rowRoots(domain: String, height: UInt64) throws(RPCError) -> JSONValue {
        let header = try domainSquare(domain: domain, height: height).header
        return JSONValue(object: [
            "dataRoot": .string(header.dataRoot.hex), "width": JSONValue(UInt64(header.originalWidth)),
            "rowRoots": .array(header.rowRoots.map { .string(Hex.encode($0.bytes)) }),
            "columnRoots": .array(header.columnRoots.map { .string(Hex.encode($0.bytes)) }),
            "encoded": .string(Hex.encode(Canonical.encode(header))),
        ])
    }

    func share(domain: String, height: UInt64, row: Int, column: Int) throws(RPCError) -> JSONValue {
        let square = try domainSquare(domain: domain, height: height)
        let proof: ShareProof
        do { proof = try square.shareProof(row: row, column: column) } catch {
            throw .invalidParams("\(error)", param: "row")
        }
        return JSONValue(object: [
            "row": JSONValue(UInt64(row)), "column": JSONValue(UInt64(column)),
            "share": .string(Hex.encode(proof.share)),
            "proof": .string(Hex.encode(Canonical.encode(proof))),
        ])
    }

    func namespaceData(domain: String, height: UInt64, namespace: Namespace) throws(RPCError) -> JSONValue {
        let square = try domainSquare(domain: domain, height: height)
        do {
            let proof = try square.namespaceProof(namespace)
            let blobs = try square.square.original().blobs().filter { $0.namespace == namespace }
            return JSONValue(object: [
                "namespace": .string(Hex.encode(namespace.bytes)),
                "data": .array(blobs.map { .string(Hex.encode($0.data)) }),
                "proof": .string(Hex.encode(Canonical.encode(proof))),
            ])
        } catch {
            logger.error("namespace data of \(domain) at \(height): \(error)")
            throw .application(code: NodeRPC.unavailable, message: "cannot prove namespace \(namespace): \(error)")
        }
    }
}
