public import Primitives
internal import Storage

/// A value read from the state at one root, with the ICS-23 proof that it is (or is not) there.
///
/// Verify with `ICS23.verifyMembership(spec: .smt, root:, proof:, key:, value:)` when `value` is
/// present, `ICS23.verifyNonMembership` when absent, or with `verify()`. The empty tree has no
/// ICS-23 proof form: there `proof` is nil and the zero root itself shows every key is absent.
public struct ProvenState: Hashable, Sendable {
    /// The state root the answer is for.
    public let root: Hash
    /// The full state key (module prefix included), as the proof names it.
    public let key: [UInt8]
    /// The value, or nil when the key is absent.
    public let value: [UInt8]?
    /// The existence or non-existence proof; nil only for the empty tree.
    public let proof: ICS23.CommitmentProof?

    /// Checks the proof against `root` with the ICS-23 SMT spec.
    /// - Throws: `ProofVerificationError` saying why it does not hold.
    public func verify() throws(ProofVerificationError) {
        guard let proof else {
            guard root == SparseMerkleTree.emptyRoot, value == nil else { throw .missingProof }
            return
        }
        do {
            if let value {
                try ICS23.verifyMembership(spec: .smt, root: root.bytes, proof: proof, key: key, value: value)
            } else {
                try ICS23.verifyNonMembership(spec: .smt, root: root.bytes, proof: proof, key: key)
            }
        } catch {
            throw .invalid(error)
        }
    }
}

/// Why a `ProvenState` does not verify.
public enum ProofVerificationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// There is no proof, and the root is not the empty tree's.
    case missingProof
    /// The ICS-23 proof does not verify.
    case invalid(ICS23Error)

    public var description: String {
        switch self {
        case .missingProof: "no proof is given for a non-empty state root"
        case .invalid(let error): "the state proof does not verify: \(error)"
        }
    }
}

extension ChainStateMachine {
    /// Answers a module query at `root`: the module names the key, the tree gives value and proof.
    /// - Throws: `QueryError` for an unknown module or query, bad arguments, or unreadable state.
    public func query(_ query: ModuleQuery, root: Hash) throws(QueryError) -> ProvenState {
        guard let module = router.module(named: query.module) else { throw .unknownModule(query.module) }
        let key = ModuleStore.prefix(for: module.name) + (try module.stateKey(for: query))
        do { return try prove(key: key, root: root) } catch { throw .state(error) }
    }

    /// The value of a full state key at `root` with its existence or non-existence proof.
    public func prove(key: [UInt8], root: Hash) throws(StateAccessError) -> ProvenState {
        guard root != SparseMerkleTree.emptyRoot else {
            return ProvenState(root: root, key: key, value: nil, proof: nil)
        }
        do {
            if try tree.get(key, root: root) != nil {
                let (value, proof) = try tree.proveExistence(key, root: root)
                return ProvenState(root: root, key: key, value: value, proof: proof)
            }
            return ProvenState(root: root, key: key, value: nil, proof: try tree.proveNonExistence(key, root: root))
        } catch {
            throw .wrapping(error)
        }
    }
}
