import Application
import Chain
import ChainConfiguration
import Consensus
import DataAvailability
import DataAvailabilityModule
import Foundation
import Logging
import PeerNetwork
import Primitives
import RPC
import RocksDBStorage
import Staking
import Storage

/// The node's JSON-RPC methods (Docs/spec/rpc.md, "Methods").
enum NodeRPC {
    /// Application error codes.
    static let notFound: RPCError.ApplicationCode = -32004
    static let rejected: RPCError.ApplicationCode = -32010
    static let unavailable: RPCError.ApplicationCode = -32020
    /// A height below the snapshot a node was imported from.
    static let pruned: RPCError.ApplicationCode = -32021

    static func methods(for node: ValidatorNode) -> RPCMethods {
        var methods = RPCMethods()
        methods.register("sendRawTx", params: ["tx"]) { args throws(RPCError) in
            let bytes = try args.required("tx", as: HexBytes.self).bytes
            // Decoded and verified here, off the node's actor (see `VerifiedTransaction`).
            let verified: VerifiedTransaction
            do { verified = try VerifiedTransaction(bytes, rule: node.signatures.rule) } catch {
                throw .application(code: NodeRPC.rejected, message: "transaction rejected: \(error)")
            }
            node.signatures.insert([verified.id])
            return try await node.submitTransaction(verified)
        }
        methods.register("getTx", params: ["hash"]) { args throws(RPCError) in
            try await node.transaction(try args.required("hash", as: Hash.self), withReceipt: false)
        }
        methods.register("getTxReceipt", params: ["hash"]) { args throws(RPCError) in
            try await node.transaction(try args.required("hash", as: Hash.self), withReceipt: true)
        }
        methods.register("getBlock", params: ["height", "hash"]) { args throws(RPCError) in
            let height = try args.optional("height", as: UInt64.self)
            let hash = try args.optional("hash", as: Hash.self)
            guard (height == nil) != (hash == nil) else {
                throw .invalidParams("give exactly one of height and hash", param: "height")
            }
            return try await node.block(height: height, hash: hash)
        }
        methods.register("getStateRoot", params: ["height"]) { args throws(RPCError) in
            try await node.stateRoot(height: try args.optional("height", as: UInt64.self))
        }
        methods.register("getAccount", params: ["address"]) { args throws(RPCError) in
            try await node.account(try address(args))
        }
        methods.register("getBalance", params: ["address", "denomination"]) { args throws(RPCError) in
            let denomination = try args.optional("denomination", as: String.self) ?? "aic"
            guard let parsed = Denomination.allCases.first(where: { $0.description == denomination.lowercased() })
            else {
                throw .invalidParams("denomination must be aic or swr", param: "denomination")
            }
            return try await node.balance(try address(args), parsed)
        }
        methods.register("getValidators", params: ["epoch"]) { args throws(RPCError) in
            try await node.validators(epoch: try args.optional("epoch", as: UInt64.self))
        }
        methods.register("getStakingValidator", params: ["validator"]) { args throws(RPCError) in
            let text = try args.required("validator", as: String.self)
            if let address = try? Address(hex: text) { return try await node.stakingValidator(.address(address)) }
            guard let bytes = try? Hex.decode(text, count: 32), let key = try? Ed25519.PublicKey(bytes) else {
                throw .invalidParams(
                    "validator must be an operator address (40 hex digits) or a signing key (64)", param: "validator")
            }
            return try await node.stakingValidator(.key(key))
        }
        methods.register("getStatus") { _ throws(RPCError) in await node.status() }
        methods.register("getProof", params: ["key", "height"]) { args throws(RPCError) in
            let key = try args.required("key", as: HexBytes.self).bytes
            return try await node.proof(key: key, height: try args.optional("height", as: UInt64.self))
        }
        registerDomainData(&methods, node: node)
        return methods
    }

    /// The DA methods (ValidatorNode+DomainData.swift).
    static func registerDomainData(_ methods: inout RPCMethods, node: ValidatorNode) {
        methods.register("submitDomainData", params: ["square", "width"]) { args throws(RPCError) in
            let bytes = try args.required("square", as: HexBytes.self).bytes
            let width = try args.required("width", as: UInt64.self)
            guard width >= 1, width <= UInt64(ShareFormat.maxOriginalWidth) else {
                throw .invalidParams("width must be 1…\(ShareFormat.maxOriginalWidth)", param: "width")
            }
            // Extending and committing a large square takes a good part of a slot: not on the actor.
            return try ValidatorNode.submitDomainData(
                bytes, width: Int(width), data: node.domainData, network: node.network)
        }
        methods.register("getDomainCommitment", params: ["domain", "height"]) { args throws(RPCError) in
            let (domain, height) = try domainAndHeight(args)
            return try await node.domainCommitmentJSON(domain: domain, height: height)
        }
        methods.register("getRowRoots", params: ["domain", "height"]) { args throws(RPCError) in
            let (domain, height) = try domainAndHeight(args)
            return try await node.rowRoots(domain: domain, height: height)
        }
        methods.register("getShare", params: ["domain", "height", "row", "column"]) { args throws(RPCError) in
            let (domain, height) = try domainAndHeight(args)
            let row = try args.required("row", as: UInt64.self)
            let column = try args.required("column", as: UInt64.self)
            let limit = UInt64(2 * ShareFormat.maxOriginalWidth)
            guard row < limit, column < limit else {
                throw .invalidParams("row and column must be below \(limit)", param: row < limit ? "column" : "row")
            }
            return try await node.share(domain: domain, height: height, row: Int(row), column: Int(column))
        }
        methods.register("getNamespaceData", params: ["domain", "height", "namespace"]) { args throws(RPCError) in
            let (domain, height) = try domainAndHeight(args)
            let text = try args.required("namespace", as: String.self)
            guard let bytes = try? Hex.decode(text, count: Namespace.byteCount),
                let namespace = try? Namespace(bytes: bytes)
            else { throw .invalidParams("namespace must be \(2 * Namespace.byteCount) hex digits", param: "namespace") }
            return try await node.namespaceData(domain: domain, height: height, namespace: namespace)
        }
    }

    static func domainAndHeight(_ args: RPCArguments) throws(RPCError) -> (String, UInt64) {
        let domain = try args.required("domain", as: String.self)
        guard DataAvailabilityModule.isDomainID(domain) else {
            throw .invalidParams("\"\(domain)\" is not a domain id", param: "domain")
        }
        return (domain, try args.required("height", as: UInt64.self))
    }

    static func address(_ args: RPCArguments) throws(RPCError) -> Address {
        let text = try args.required("address", as: String.self)
        do { return try Address(hex: text) } catch {
            throw .invalidParams("address must be 40 hex digits: \(error)", param: "address")
        }
    }

    // MARK: - JSON forms

    static func json(_ header: BlockHeader) -> JSONValue {
        JSONValue(object: [
            "id": .string(header.id.hex), "chainId": .string(header.chainId), "epoch": JSONValue(header.epoch),
            "height": JSONValue(header.height), "view": JSONValue(header.view),
            "parentId": .string(header.parentID.hex),
            "stateRoot": .string(header.stateRoot.hex), "transactionRoot": .string(header.transactionRoot.hex),
            "receiptRoot": .string(header.receiptRoot.hex),
            "dataAvailabilityRoot": .string(header.dataAvailabilityRoot.hex),
            "validatorSetHash": .string(header.validatorSetHash.hex),
            "nextValidatorSetHash": .string(header.nextValidatorSetHash.hex),
            "proposer": .string(header.proposer.description), "vrfProof": .string(header.vrfProof.description),
            "timestamp": JSONValue(header.timestamp), "justify": json(header.justify),
        ])
    }

    static func json(_ certificate: QuorumCertificate) -> JSONValue {
        JSONValue(object: [
            "epoch": JSONValue(certificate.epoch), "view": JSONValue(certificate.view),
            "height": JSONValue(certificate.height), "blockId": .string(certificate.blockID.hex),
            "signers": .array(certificate.signatures.map { JSONValue(UInt64($0.index)) }),
        ])
    }

    static func json(_ certificate: CommitCertificate) -> JSONValue {
        JSONValue(object: [
            "path": .array(certificate.path.map(json)), "certificate": json(certificate.certificate),
            "encoded": .string(Hex.encode(Canonical.encode(certificate))),
        ])
    }

    static func json(_ receipt: TransactionReceipt) -> JSONValue {
        JSONValue(object: [
            "transactionId": .string(receipt.transactionID.hash.hex), "success": .bool(receipt.succeeded),
            "failure": receipt.failure.map { .string($0.description) } ?? .null,
            "feeCharged": JSONValue(receipt.feeCharged),
            "events": .array(receipt.events.map { .string("\($0)") }),
        ])
    }

    static func json(_ signed: SignedTransaction) -> JSONValue {
        let transaction = signed.transaction
        return JSONValue(object: [
            "id": .string(signed.id.hash.hex), "chainId": .string(transaction.chainId),
            "sender": .string(transaction.senderAddress.description), "nonce": JSONValue(transaction.nonce),
            "maxFee": JSONValue(transaction.maxFee), "priorityFee": JSONValue(transaction.priorityFee),
            "messages": .array(transaction.messages.map { .string("\($0.module)/\($0.kind)") }),
            "encoded": .string(Hex.encode(signed.encoded)),
        ])
    }
}

// MARK: - Queries the RPC methods call

extension ValidatorNode {
    func submitTransaction(_ transaction: VerifiedTransaction) throws(RPCError) -> JSONValue {
        let admission: MempoolAdmission
        do { admission = try application.submit(transaction, from: MempoolSource("rpc")) } catch {
            throw .application(code: NodeRPC.rejected, message: "transaction rejected: \(error)")
        }
        gossip(transaction.encoded)
        metrics.setMempoolDepth(application.mempool.count)
        return JSONValue(object: ["hash": .string(admission.id.hash.hex)])
    }

    func transaction(_ hash: Hash, withReceipt: Bool) throws(RPCError) -> JSONValue {
        let id = TransactionID(hash: hash)
        guard let location = try storeRead({ try chainStore.location(of: id) }) else {
            if application.mempool.contains(id) {
                return JSONValue(object: ["hash": .string(hash.hex), "status": "pending"])
            }
            throw .application(code: NodeRPC.notFound, message: "no transaction \(hash.hex)")
        }
        guard let block = try storeRead({ try chainStore.block(id: location.blockID) }),
            Int(location.index) < block.transactions.count,
            let signed = try? SignedTransaction.decode(block.transactions[Int(location.index)])
        else { throw .application(code: NodeRPC.unavailable, message: "the transaction's block is missing") }
        var object: [(String, JSONValue)] = [
            ("hash", .string(hash.hex)), ("status", "committed"), ("height", JSONValue(location.height)),
            ("blockId", .string(location.blockID.hex)), ("index", JSONValue(UInt64(location.index))),
            ("transaction", NodeRPC.json(signed)),
        ]
        if withReceipt {
            let receipts = try storeRead({ try chainStore.receipts(blockID: location.blockID) }) ?? []
            guard Int(location.index) < receipts.count else {
                throw .application(code: NodeRPC.unavailable, message: "the receipt is missing")
            }
            object.append(("receipt", NodeRPC.json(receipts[Int(location.index)])))
        }
        return .object(JSONObject(object))
    }

    func block(height: UInt64?, hash: Hash?) throws(RPCError) -> JSONValue {
        let found: Block?
        if let height {
            found = try storeRead({ try chainStore.block(height: height) })
        } else if let hash {
            found = try storeRead({ try chainStore.block(id: hash) })
        } else {
            found = nil
        }
        guard let block = found else {
            if let height { try requireNotPruned(height) }
            throw .application(code: NodeRPC.notFound, message: "no such committed block")
        }
        let certificate = try storeRead({ try chainStore.finalityCertificate(height: block.header.height) })
        return JSONValue(object: [
            "header": NodeRPC.json(block.header),
            "transactions": .array(block.transactions.map { .string(Hex.encode($0)) }),
            "commitCertificate": certificate.map(NodeRPC.json) ?? .null,
        ])
    }

    func stateRoot(height: UInt64?) throws(RPCError) -> JSONValue {
        let header: BlockHeader
        if let height {
            guard let block = try storeRead({ try chainStore.block(height: height) }) else {
                try requireNotPruned(height)
                throw .application(code: NodeRPC.notFound, message: "no committed block at height \(height)")
            }
            header = block.header
        } else {
            header = committed
        }
        return JSONValue(object: ["height": JSONValue(header.height), "stateRoot": .string(header.stateRoot.hex)])
    }

    func account(_ address: Address) throws(RPCError) -> JSONValue {
        let root = application.committedRoot
        do {
            let account = try application.chain.accounts(at: root).account(address)
            let bank = try application.chain.state(at: root).module(Bank.moduleName)
            return JSONValue(object: [
                "address": .string(address.description), "nonce": JSONValue(account.nonce),
                "nextNonce": JSONValue(nextNonce(of: address, committed: account.nonce)),
                "aic": JSONValue(try Bank.Keeper.balance(of: address, .aic, in: bank)),
                "swr": JSONValue(try Bank.Keeper.balance(of: address, .swr, in: bank)),
                "height": JSONValue(committed.height),
            ])
        } catch {
            throw .application(code: NodeRPC.unavailable, message: "cannot read the account: \(error)")
        }
    }

    /// The nonce a new transaction from `address` should carry: the committed nonce, advanced past
    /// the consecutive nonces already waiting in the mempool.
    func nextNonce(of address: Address, committed: UInt64) -> UInt64 {
        var next = committed
        for pending in application.mempool.pending(from: address) where pending.signed.transaction.nonce == next {
            next += 1
        }
        return next
    }

    func balance(_ address: Address, _ denomination: Denomination) throws(RPCError) -> JSONValue {
        do {
            let bank = try application.chain.state(at: application.committedRoot).module(Bank.moduleName)
            return JSONValue(object: [
                "address": .string(address.description), "denomination": .string(denomination.description),
                "amount": JSONValue(try Bank.Keeper.balance(of: address, denomination, in: bank)),
                "height": JSONValue(committed.height),
            ])
        } catch {
            throw .application(code: NodeRPC.unavailable, message: "cannot read the balance: \(error)")
        }
    }

    func validators(epoch: UInt64?) throws(RPCError) -> JSONValue {
        let wanted = epoch ?? epochState.epoch
        let set: ValidatorSet
        do {
            set = try Self.validatorSet(
                epoch: wanted, chain: application.chain, root: application.committedRoot, cache: validatorSets)
        } catch {
            throw .application(code: NodeRPC.notFound, message: "\(error)")
        }
        return JSONValue(object: [
            "epoch": JSONValue(wanted), "hash": .string(set.hash.hex), "totalStake": JSONValue(set.totalStake),
            "validators": .array(
                set.validators.enumerated().map { index, validator in
                    JSONValue(object: [
                        "index": JSONValue(index), "publicKey": .string(validator.publicKey.description),
                        "vrfPublicKey": .string(validator.vrfPublicKey.description),
                        "stake": JSONValue(validator.stake),
                    ])
                }),
        ])
    }

    enum ValidatorReference {
        case address(Address)
        case key(Ed25519.PublicKey)
    }

    /// A validator's staking record at the committed tip: its stake and standing.
    func stakingValidator(_ reference: ValidatorReference) throws(RPCError) -> JSONValue {
        let record: Staking.Validator?
        do {
            let state = try application.chain.state(at: application.committedRoot).module(Staking.moduleName)
            switch reference {
            case .address(let address):
                record = try Staking.validator(address, in: state)
            case .key(let key):
                record = try Staking.operatorAddress(ofKey: key, in: state).flatMap {
                    address throws(StateAccessError) in try Staking.validator(address, in: state)
                }
            }
        } catch {
            throw .application(code: NodeRPC.unavailable, message: "cannot read the staking state: \(error)")
        }
        guard let record else { throw .application(code: NodeRPC.notFound, message: "no such validator") }
        return JSONValue(object: [
            "operatorAddress": .string(record.operatorAddress.description), "name": .string(record.name),
            "publicKey": .string(record.publicKey.description), "tokens": JSONValue(record.tokens),
            "shares": JSONValue(record.shares), "commission": .string("\(record.commission)"),
            "jailed": .bool(record.jailed), "jailedUntilEpoch": JSONValue(record.jailedUntilEpoch),
            "tombstoned": .bool(record.tombstoned), "missedInWindow": JSONValue(record.missedInWindow),
            "height": JSONValue(committed.height),
        ])
    }

    func status() -> JSONValue {
        JSONValue(object: [
            "chainId": .string(genesis.chain.chainId), "moniker": .string(configuration.moniker),
            "nodeKey": .string(identity.signer.publicKey.description), "height": JSONValue(committed.height),
            "blockId": .string(committed.id.hex), "stateRoot": .string(committed.stateRoot.hex),
            "timestamp": JSONValue(committed.timestamp), "epoch": JSONValue(epochState.epoch),
            "view": JSONValue(engine.view), "peers": JSONValue(network.connectedPeers.count),
            "mempool": JSONValue(application.mempool.count),
            "transactionsCommitted": JSONValue(counters.transactionsCommitted),
            "evidenceSubmitted": JSONValue(counters.evidenceSubmitted), "syncs": JSONValue(counters.syncs),
            "lastFinalityMilliseconds": counters.lastFinalityMilliseconds.map { JSONValue($0) } ?? .null,
            "rejectedMessages": JSONValue(counters.rejectedMessages),
            "droppedTransactionBatches": JSONValue(counters.droppedTransactionBatches),
        ])
    }

    func proof(key: [UInt8], height: UInt64?) throws(RPCError) -> JSONValue {
        let root: Hash
        if let height {
            guard let block = try storeRead({ try chainStore.block(height: height) }) else {
                try requireNotPruned(height)
                throw .application(code: NodeRPC.notFound, message: "no committed block at height \(height)")
            }
            root = block.header.stateRoot
        } else {
            root = application.committedRoot
        }
        let tree = application.chain.tree
        do {
            if try tree.get(key, root: root) != nil {
                let (value, proof) = try tree.proveExistence(key, root: root)
                return JSONValue(object: [
                    "root": .string(root.hex), "key": .string(Hex.encode(key)), "value": .string(Hex.encode(value)),
                    "exists": true, "proof": .string(Hex.encode(proof.protobufEncoded())), "spec": "smt",
                ])
            }
            let proof = try tree.proveNonExistence(key, root: root)
            return JSONValue(object: [
                "root": .string(root.hex), "key": .string(Hex.encode(key)), "value": "", "exists": false,
                "proof": .string(Hex.encode(proof.protobufEncoded())), "spec": "smt",
            ])
        } catch {
            throw .application(code: NodeRPC.unavailable, message: "cannot prove the key: \(error)")
        }
    }

    /// Throws the `pruned` error for a height below the snapshot this node was imported from
    /// (those blocks and states are not in its store; an archive node has them).
    func requireNotPruned(_ height: UInt64) throws(RPCError) {
        guard let base = try storeRead({ try chainStore.snapshotBase() }), height > 0, height < base else { return }
        throw .application(
            code: NodeRPC.pruned,
            message: "pruned: this node starts from a snapshot at height \(base); height \(height) is not stored here")
    }

    /// Runs a store read, turning storage failures into an RPC error (logged, not leaked).
    private func storeRead<T>(_ body: () throws -> T) throws(RPCError) -> T {
        do { return try body() } catch {
            logger.error("store read failed: \(error)")
            throw .application(code: NodeRPC.unavailable, message: "the node's store could not be read")
        }
    }
}
