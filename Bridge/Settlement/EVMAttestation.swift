public import EVM
public import Primitives

/// The committee's secp256k1 attestations as the EVM settlement contract checks them
/// (Docs/spec/settlement.md, "EVM"): EIP-191 digests with a domain tag, 65-byte `r ‖ s ‖ v`
/// signatures (`v` 27 or 28, low `s`), passed in strictly ascending signer order.
public enum EVMAttestation {
    /// `keccak256("aether.settlement.batch.v1")`.
    public static let batchTag = Hashing.keccak256(Array("aether.settlement.batch.v1".utf8))
    /// `keccak256("aether.settlement.rotate.v1")`.
    public static let rotateTag = Hashing.keccak256(Array("aether.settlement.rotate.v1".utf8))

    /// The digest the committee signs to record `root` as batch `batchId` on one deployment.
    public static func batchDigest(chainId: UInt64, contract: EthereumAddress, batchId: UInt64, root: Hash) -> Hash {
        let inner = try! ABI.encode(
            [.bytes32(batchTag), .uint(UInt256(chainId)), .address(contract), .uint(UInt256(batchId)), .bytes32(root)],
            as: [.bytes32, .uint256, .address, .uint256, .bytes32])
        return eip191(Hashing.keccak256(inner))
    }

    /// The digest the current committee signs to hand over to `next` (whose epoch must be one more).
    public static func rotationDigest(chainId: UInt64, contract: EthereumAddress, next: Committee) -> Hash {
        let inner = try! ABI.encode(
            [
                .bytes32(rotateTag), .uint(UInt256(chainId)), .address(contract), .uint(UInt256(next.epoch)),
                .bytes32(committeeHash(next)),
            ],
            as: [.bytes32, .uint256, .address, .uint256, .bytes32])
        return eip191(Hashing.keccak256(inner))
    }

    /// `keccak256(abi.encode(address[] members, uint256[] weights, uint256 threshold))`.
    public static func committeeHash(_ committee: Committee) -> Hash {
        Hashing.keccak256(try! ABI.encode(committeeArguments(committee), as: committeeTypes))
    }

    /// The `(members, weights, threshold)` arguments of the contract's constructor and rotation.
    public static func committeeArguments(_ committee: Committee) -> [ABIValue] {
        [
            .array(committee.members.map { .address($0.evmAddress) }),
            .array(committee.members.map { .uint(UInt256($0.weight)) }),
            .uint(UInt256(committee.threshold)),
        ]
    }

    /// The ABI types of `committeeArguments`.
    public static let committeeTypes: [ABIType] = [.array(.address), .array(.uint256), .uint256]

    /// `keccak256("\x19Ethereum Signed Message:\n32" ‖ hash)`.
    public static func eip191(_ hash: Hash) -> Hash {
        Hashing.keccak256(Array("\u{19}Ethereum Signed Message:\n32".utf8) + hash.bytes)
    }

    /// A 65-byte `r ‖ s ‖ v` signature of `digest` (`v` 27 or 28).
    public static func sign(_ digest: Hash, with key: Secp256k1.PrivateKey) -> [UInt8] {
        let signature = key.sign(hash: digest)
        return signature.compact + [signature.recoveryId + 27]
    }

    /// The signer of a 65-byte signature over `digest`.
    /// - Throws: `SettlementError.badSignature` for a wrong length, a `v` other than 27/28, a high
    ///   `s`, or a signature that recovers no key.
    public static func signer(of signature: [UInt8], digest: Hash, position: Int = 0) throws(SettlementError)
        -> EthereumAddress
    {
        guard signature.count == 65 else {
            throw .badSignature(position: position, reason: "a signature is 65 bytes, not \(signature.count)")
        }
        guard signature[64] == 27 || signature[64] == 28 else {
            throw .badSignature(position: position, reason: "v must be 27 or 28, not \(signature[64])")
        }
        do {
            let parsed = try Secp256k1.RecoverableSignature(signature)
            guard parsed.isLowS else { throw KeyError.invalidSignature("high s") }
            return try parsed.recoverPublicKey(from: digest).ethereumAddress
        } catch {
            throw .badSignature(position: position, reason: "\(error)")
        }
    }

    /// Puts signatures in the order the contract wants: ascending signer address.
    /// - Throws: `SettlementError.badSignature` for a signature that does not recover.
    public static func ordered(_ signatures: [[UInt8]], digest: Hash) throws(SettlementError) -> [[UInt8]] {
        var signed: [(EthereumAddress, [UInt8])] = []
        for (position, signature) in signatures.enumerated() {
            signed.append((try signer(of: signature, digest: digest, position: position), signature))
        }
        return signed.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Checks `signatures` (in the contract's order) as a quorum of `committee` over `digest`,
    /// with the contract's rules; returns the signers' weight.
    /// - Throws: `SettlementError` naming the first rule broken.
    @discardableResult
    public static func verifyQuorum(_ signatures: [[UInt8]], digest: Hash, committee: Committee) throws(SettlementError)
        -> UInt64
    {
        var weight: UInt64 = 0
        var last: EthereumAddress?
        for (position, signature) in signatures.enumerated() {
            let address = try signer(of: signature, digest: digest, position: position)
            if let last, !(last < address) { throw .signersNotAscending(position: position) }
            guard let memberWeight = committee.weight(of: address) else { throw .notAMember(description: "\(address)") }
            weight += memberWeight  // the committee's total fits in 64 bits
            last = address
        }
        guard weight >= committee.threshold else {
            throw .belowThreshold(weight: weight, threshold: committee.threshold)
        }
        return weight
    }
}
