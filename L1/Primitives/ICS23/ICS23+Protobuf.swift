// The protobuf encodings of the ICS-23 messages (package `cosmos.ics23.v1`, proofs.proto).
//
// Decoding follows proto3: unknown fields are skipped, a repeated singular scalar keeps its last
// value, a repeated singular message is merged, and for a oneof the last alternative wins.
// Encoding writes what the Go and Rust references write, so decoded proofs re-encode to the same
// bytes.

// MARK: - Public entry points

extension ICS23.CommitmentProof {
    /// Decodes a protobuf `CommitmentProof`.
    ///
    /// Throws on malformed wire data, unknown enum values, a compressed path index that is not an
    /// int32, and a proof with no alternative set. It does not check the proof: that is what
    /// `ICS23.verifyMembership` / `verifyNonMembership` are for.
    public init(protobuf bytes: [UInt8]) throws(ICS23Error) {
        let message = try CommitmentProofMessage.decodeProtobuf(bytes)
        guard let proof = message.proof else { throw .missingProof(message: "CommitmentProof") }
        self = proof
    }

    /// The protobuf encoding of this proof.
    public func protobufEncoded() -> [UInt8] {
        CommitmentProofMessage(proof: self).protobufBytes
    }
}

// MARK: - Oneof wrappers

/// `CommitmentProof` as decoded from the wire, where the oneof may still be unset.
struct CommitmentProofMessage: ProtobufMessage {
    var proof: ICS23.CommitmentProof?

    static var protobufDefault: Self { Self(proof: nil) }

    mutating func decodeField(_ tag: ProtobufTag, from reader: inout ProtobufReader) throws(ICS23Error) {
        switch tag.field {
        case 1:
            var current: ICS23.ExistenceProof?
            if case .exist(let existing) = proof { current = existing }
            proof = .exist(try reader.readMessage(tag, field: "CommitmentProof.exist", mergingInto: current))
        case 2:
            var current: ICS23.NonExistenceProof?
            if case .nonexist(let existing) = proof { current = existing }
            proof = .nonexist(try reader.readMessage(tag, field: "CommitmentProof.nonexist", mergingInto: current))
        case 3:
            var current: ICS23.BatchProof?
            if case .batch(let existing) = proof { current = existing }
            proof = .batch(try reader.readMessage(tag, field: "CommitmentProof.batch", mergingInto: current))
        case 4:
            var current: ICS23.CompressedBatchProof?
            if case .compressed(let existing) = proof { current = existing }
            proof = .compressed(try reader.readMessage(tag, field: "CommitmentProof.compressed", mergingInto: current))
        default:
            try reader.skip(tag)
        }
    }

    func encode(to writer: inout ProtobufWriter) {
        switch proof {
        case .exist(let value): writer.writeMessage(1, value)
        case .nonexist(let value): writer.writeMessage(2, value)
        case .batch(let value): writer.writeMessage(3, value)
        case .compressed(let value): writer.writeMessage(4, value)
        case nil: break
        }
    }
}

/// `BatchEntry` as decoded from the wire.
struct BatchEntryMessage: ProtobufMessage {
    var entry: ICS23.BatchEntry?

    static var protobufDefault: Self { Self(entry: nil) }

    mutating func decodeField(_ tag: ProtobufTag, from reader: inout ProtobufReader) throws(ICS23Error) {
        switch tag.field {
        case 1:
            var current: ICS23.ExistenceProof?
            if case .exist(let existing) = entry { current = existing }
            entry = .exist(try reader.readMessage(tag, field: "BatchEntry.exist", mergingInto: current))
        case 2:
            var current: ICS23.NonExistenceProof?
            if case .nonexist(let existing) = entry { current = existing }
            entry = .nonexist(try reader.readMessage(tag, field: "BatchEntry.nonexist", mergingInto: current))
        default:
            try reader.skip(tag)
        }
    }

    func encode(to writer: inout ProtobufWriter) {
        switch entry {
        case .exist(let value): writer.writeMessage(1, value)
        case .nonexist(let value): writer.writeMessage(2, value)
        case nil: break
        }
    }
}

/// `CompressedBatchEntry` as decoded from the wire.
struct CompressedBatchEntryMessage: ProtobufMessage {
    var entry: ICS23.CompressedBatchEntry?

    static var protobufDefault: Self { Self(entry: nil) }

    mutating func decodeField(_ tag: ProtobufTag, from reader: inout ProtobufReader) throws(ICS23Error) {
        switch tag.field {
        case 1:
            var current: ICS23.CompressedExistenceProof?
            if case .exist(let existing) = entry { current = existing }
            entry = .exist(try reader.readMessage(tag, field: "CompressedBatchEntry.exist", mergingInto: current))
        case 2:
            var current: ICS23.CompressedNonExistenceProof?
            if case .nonexist(let existing) = entry { current = existing }
            entry = .nonexist(
                try reader.readMessage(tag, field: "CompressedBatchEntry.nonexist", mergingInto: current)
            )
        default:
            try reader.skip(tag)
        }
    }

    func encode(to writer: inout ProtobufWriter) {
        switch entry {
        case .exist(let value): writer.writeMessage(1, value)
        case .nonexist(let value): writer.writeMessage(2, value)
        case nil: break
        }
    }
}

// MARK: - Messages

extension ICS23.LeafOp: ProtobufMessage {
    static var protobufDefault: Self { Self() }

    mutating func decodeField(_ tag: ProtobufTag, from reader: inout ProtobufReader) throws(ICS23Error) {
        switch tag.field {
        case 1: hash = try reader.readEnum(tag, field: "LeafOp.hash", as: ICS23.HashOp.self)
        case 2: prehashKey = try reader.readEnum(tag, field: "LeafOp.prehash_key", as: ICS23.HashOp.self)
        case 3: prehashValue = try reader.readEnum(tag, field: "LeafOp.prehash_value", as: ICS23.HashOp.self)
        case 4: length = try reader.readEnum(tag, field: "LeafOp.length", as: ICS23.LengthOp.self)
        case 5: prefix = try reader.readBytes(tag, field: "LeafOp.prefix")
        default: try reader.skip(tag)
        }
    }

    func encode(to writer: inout ProtobufWriter) {
        writer.writeEnum(1, hash)
        writer.writeEnum(2, prehashKey)
        writer.writeEnum(3, prehashValue)
        writer.writeEnum(4, length)
        writer.writeBytes(5, prefix)
    }
}

extension ICS23.InnerOp: ProtobufMessage {
    static var protobufDefault: Self { Self() }

    mutating func decodeField(_ tag: ProtobufTag, from reader: inout ProtobufReader) throws(ICS23Error) {
        switch tag.field {
        case 1: hash = try reader.readEnum(tag, field: "InnerOp.hash", as: ICS23.HashOp.self)
        case 2: prefix = try reader.readBytes(tag, field: "InnerOp.prefix")
        case 3: suffix = try reader.readBytes(tag, field: "InnerOp.suffix")
        default: try reader.skip(tag)
        }
    }

    func encode(to writer: inout ProtobufWriter) {
        writer.writeEnum(1, hash)
        writer.writeBytes(2, prefix)
        writer.writeBytes(3, suffix)
    }
}

extension ICS23.ExistenceProof: ProtobufMessage {
    static var protobufDefault: Self { Self() }

    mutating func decodeField(_ tag: ProtobufTag, from reader: inout ProtobufReader) throws(ICS23Error) {
        switch tag.field {
        case 1: key = try reader.readBytes(tag, field: "ExistenceProof.key")
        case 2: value = try reader.readBytes(tag, field: "ExistenceProof.value")
        case 3: leaf = try reader.readMessage(tag, field: "ExistenceProof.leaf", mergingInto: leaf)
        case 4: path.append(try reader.readMessage(tag, field: "ExistenceProof.path"))
        default: try reader.skip(tag)
        }
    }

    func encode(to writer: inout ProtobufWriter) {
        writer.writeBytes(1, key)
        writer.writeBytes(2, value)
        if let leaf { writer.writeMessage(3, leaf) }
        for step in path { writer.writeMessage(4, step) }
    }
}

extension ICS23.NonExistenceProof: ProtobufMessage {
    static var protobufDefault: Self { Self() }

    mutating func decodeField(_ tag: ProtobufTag, from reader: inout ProtobufReader) throws(ICS23Error) {
        switch tag.field {
        case 1: key = try reader.readBytes(tag, field: "NonExistenceProof.key")
        case 2: left = try reader.readMessage(tag, field: "NonExistenceProof.left", mergingInto: left)
        case 3: right = try reader.readMessage(tag, field: "NonExistenceProof.right", mergingInto: right)
        default: try reader.skip(tag)
        }
    }

    func encode(to writer: inout ProtobufWriter) {
        writer.writeBytes(1, key)
        if let left { writer.writeMessage(2, left) }
        if let right { writer.writeMessage(3, right) }
    }
}

extension ICS23.BatchProof: ProtobufMessage {
    static var protobufDefault: Self { Self() }

    mutating func decodeField(_ tag: ProtobufTag, from reader: inout ProtobufReader) throws(ICS23Error) {
        switch tag.field {
        case 1:
            let message: BatchEntryMessage = try reader.readMessage(tag, field: "BatchProof.entries")
            // An entry with neither alternative proves nothing; refusing it keeps the type honest.
            guard let entry = message.entry else { throw .missingProof(message: "BatchEntry") }
            entries.append(entry)
        default:
            try reader.skip(tag)
        }
    }

    func encode(to writer: inout ProtobufWriter) {
        for entry in entries { writer.writeMessage(1, BatchEntryMessage(entry: entry)) }
    }
}

extension ICS23.CompressedExistenceProof: ProtobufMessage {
    static var protobufDefault: Self { Self() }

    mutating func decodeField(_ tag: ProtobufTag, from reader: inout ProtobufReader) throws(ICS23Error) {
        switch tag.field {
        case 1: key = try reader.readBytes(tag, field: "CompressedExistenceProof.key")
        case 2: value = try reader.readBytes(tag, field: "CompressedExistenceProof.value")
        case 3: leaf = try reader.readMessage(tag, field: "CompressedExistenceProof.leaf", mergingInto: leaf)
        case 4: try reader.readInt32s(tag, field: "CompressedExistenceProof.path", into: &path)
        default: try reader.skip(tag)
        }
    }

    func encode(to writer: inout ProtobufWriter) {
        writer.writeBytes(1, key)
        writer.writeBytes(2, value)
        if let leaf { writer.writeMessage(3, leaf) }
        writer.writePackedInt32s(4, path)
    }
}

extension ICS23.CompressedNonExistenceProof: ProtobufMessage {
    static var protobufDefault: Self { Self() }

    mutating func decodeField(_ tag: ProtobufTag, from reader: inout ProtobufReader) throws(ICS23Error) {
        switch tag.field {
        case 1: key = try reader.readBytes(tag, field: "CompressedNonExistenceProof.key")
        case 2: left = try reader.readMessage(tag, field: "CompressedNonExistenceProof.left", mergingInto: left)
        case 3: right = try reader.readMessage(tag, field: "CompressedNonExistenceProof.right", mergingInto: right)
        default: try reader.skip(tag)
        }
    }

    func encode(to writer: inout ProtobufWriter) {
        writer.writeBytes(1, key)
        if let left { writer.writeMessage(2, left) }
        if let right { writer.writeMessage(3, right) }
    }
}

extension ICS23.CompressedBatchProof: ProtobufMessage {
    static var protobufDefault: Self { Self() }

    mutating func decodeField(_ tag: ProtobufTag, from reader: inout ProtobufReader) throws(ICS23Error) {
        switch tag.field {
        case 1:
            let message: CompressedBatchEntryMessage = try reader.readMessage(
                tag,
                field: "CompressedBatchProof.entries"
            )
            guard let entry = message.entry else { throw .missingProof(message: "CompressedBatchEntry") }
            entries.append(entry)
        case 2:
            lookupInners.append(try reader.readMessage(tag, field: "CompressedBatchProof.lookup_inners"))
        default:
            try reader.skip(tag)
        }
    }

    func encode(to writer: inout ProtobufWriter) {
        for entry in entries { writer.writeMessage(1, CompressedBatchEntryMessage(entry: entry)) }
        for step in lookupInners { writer.writeMessage(2, step) }
    }
}
