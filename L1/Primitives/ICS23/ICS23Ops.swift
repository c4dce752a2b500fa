// MARK: - Hash operations

extension ICS23.HashOp {
    /// The digest of `bytes` under this operation.
    ///
    /// `.noHash` throws here: a leaf or inner step must really hash. Prehashes go through
    /// `prehash(_:)`, where `.noHash` means "leave as is".
    func digest(_ bytes: [UInt8]) throws(ICS23Error) -> [UInt8] {
        switch self {
        case .sha256: return Hashing.sha256(bytes).bytes
        case .sha512: return Hashing.sha512(bytes)
        case .keccak256: return Hashing.keccak256(bytes).bytes
        case .ripemd160: return Hashing.ripemd160(bytes)
        case .bitcoin: return Hashing.bitcoinHash160(bytes)
        case .sha512_256: return Hashing.sha512_256(bytes)
        case .blake2b512: return Hashing.blake2b512(bytes)
        case .blake2s256: return Hashing.blake2s256(bytes)
        // BLAKE3 has no implementation in Aether, and no IBC chain we know of uses it.
        case .blake3: throw .unsupportedHashOp(self)
        // NO_HASH only means something as a prehash ("leave as is"); a step must really hash.
        case .noHash: throw .unsupportedHashOp(self)
        }
    }

    /// `digest(bytes)`, except that `.noHash` returns `bytes` unchanged.
    func prehash(_ bytes: [UInt8]) throws(ICS23Error) -> [UInt8] {
        self == .noHash ? bytes : try digest(bytes)
    }
}

extension ICS23.HashOp: CustomStringConvertible {
    /// The protobuf enum name (`SHA256`, `NO_HASH`, …).
    public var description: String {
        switch self {
        case .noHash: "NO_HASH"
        case .sha256: "SHA256"
        case .sha512: "SHA512"
        case .keccak256: "KECCAK256"
        case .ripemd160: "RIPEMD160"
        case .bitcoin: "BITCOIN"
        case .sha512_256: "SHA512_256"
        case .blake2b512: "BLAKE2B_512"
        case .blake2s256: "BLAKE2S_256"
        case .blake3: "BLAKE3"
        }
    }
}

// MARK: - Length operations

extension ICS23.LengthOp {
    /// `data` with this operation's length prefix in front (or checked, for the `require` ops).
    func apply(_ data: [UInt8]) throws(ICS23Error) -> [UInt8] {
        switch self {
        case .noPrefix:
            return data
        case .varProto:
            var writer = ProtobufWriter()
            writer.writeVarint(UInt64(data.count))
            return writer.bytes + data
        case .fixed32Big, .fixed32Little:
            guard let length = UInt32(exactly: data.count) else { throw .lengthOpViolated(self, length: data.count) }
            let ordered = self == .fixed32Big ? length.bigEndian : length.littleEndian
            return withUnsafeBytes(of: ordered) { Array($0) } + data
        case .fixed64Big, .fixed64Little:
            let length = UInt64(data.count)
            let ordered = self == .fixed64Big ? length.bigEndian : length.littleEndian
            return withUnsafeBytes(of: ordered) { Array($0) } + data
        case .require32Bytes:
            guard data.count == 32 else { throw .lengthOpViolated(self, length: data.count) }
            return data
        case .require64Bytes:
            guard data.count == 64 else { throw .lengthOpViolated(self, length: data.count) }
            return data
        case .varRLP:
            throw .unsupportedLengthOp(self)
        }
    }
}

extension ICS23.LengthOp: CustomStringConvertible {
    /// The protobuf enum name (`VAR_PROTO`, `NO_PREFIX`, …).
    public var description: String {
        switch self {
        case .noPrefix: "NO_PREFIX"
        case .varProto: "VAR_PROTO"
        case .varRLP: "VAR_RLP"
        case .fixed32Big: "FIXED32_BIG"
        case .fixed32Little: "FIXED32_LITTLE"
        case .fixed64Big: "FIXED64_BIG"
        case .fixed64Little: "FIXED64_LITTLE"
        case .require32Bytes: "REQUIRE_32_BYTES"
        case .require64Bytes: "REQUIRE_64_BYTES"
        }
    }
}

// MARK: - Applying steps

extension ICS23.LeafOp {
    /// The leaf hash of `key` and `value`: `hash(prefix || L(prehashKey(key)) || L(prehashValue(value)))`.
    ///
    /// Both must be non-empty: an empty key or value has no leaf in any tree ICS-23 describes.
    /// Does not check the op against a spec; a tree builder uses this with its own spec's template.
    public func apply(key: [UInt8], value: [UInt8]) throws(ICS23Error) -> [UInt8] {
        guard !key.isEmpty else { throw .emptyKey }
        guard !value.isEmpty else { throw .emptyValue }
        let preparedKey = try length.apply(prehashKey.prehash(key))
        let preparedValue = try length.apply(prehashValue.prehash(value))
        return try hash.digest(prefix + preparedKey + preparedValue)
    }
}

extension ICS23.InnerOp {
    /// The parent hash of `child`: `hash(prefix || child || suffix)`.
    public func apply(child: [UInt8]) throws(ICS23Error) -> [UInt8] {
        guard !child.isEmpty else { throw .emptyChild }
        return try hash.digest(prefix + child + suffix)
    }
}

extension ICS23.ExistenceProof {
    /// The root this proof leads to: the leaf op applied to key and value, then each path step.
    ///
    /// Checks nothing against a spec, so the result means nothing until it is compared with a
    /// trusted root *and* the proof is checked against the tree's spec; `ICS23.verifyMembership`
    /// does both.
    public func calculateRoot() throws(ICS23Error) -> [UInt8] {
        try calculateRoot(spec: nil)
    }

    /// The root, also rejecting any step output longer than the spec's child size when that size
    /// is at least a hash long (a longer hash could not occupy a child slot in the parent).
    func calculateRoot(spec: ICS23.ProofSpec?) throws(ICS23Error) -> [UInt8] {
        guard let leaf else { throw .missingLeaf }
        var current: [UInt8]
        do { current = try leaf.apply(key: key, value: value) } catch { throw .inLeaf(error) }
        for (index, step) in path.enumerated() {
            do { current = try step.apply(child: current) } catch { throw .inPathStep(index: index, error) }
            if let childSize = spec?.innerSpec.childSize, childSize >= 32, current.count > Int(childSize) {
                throw .inPathStep(index: index, .hashLongerThanChild(length: current.count, childSize: childSize))
            }
        }
        return current
    }
}
