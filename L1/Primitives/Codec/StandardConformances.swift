// Canonical encodings of standard types, so they can be fields and array elements.

extension UInt8: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.write(self) }
    public init(from decoder: inout CanonicalDecoder) throws(CodecError) { self = try decoder.read(UInt8.self) }
}

extension UInt16: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.write(self) }
    public init(from decoder: inout CanonicalDecoder) throws(CodecError) { self = try decoder.read(UInt16.self) }
}

extension UInt32: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.write(self) }
    public init(from decoder: inout CanonicalDecoder) throws(CodecError) { self = try decoder.read(UInt32.self) }
}

extension UInt64: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.write(self) }
    public init(from decoder: inout CanonicalDecoder) throws(CodecError) { self = try decoder.read(UInt64.self) }
}

extension Int64: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.write(self) }
    public init(from decoder: inout CanonicalDecoder) throws(CodecError) { self = try decoder.read(Int64.self) }
}

extension Bool: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.write(self) }
    public init(from decoder: inout CanonicalDecoder) throws(CodecError) { self = try decoder.read(Bool.self) }
}

extension String: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.write(self) }
    public init(from decoder: inout CanonicalDecoder) throws(CodecError) { self = try decoder.read(String.self) }
}

extension Hash: CanonicalCodable {
    /// A hash is a fixed 32-byte field: no length prefix.
    public func encode(to encoder: inout CanonicalEncoder) {
        withUnsafeBytes { encoder.write(fixed: $0) }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let raw = try decoder.readFixed(count: Hash.byteCount)
        self = raw.withUnsafeBytes { Hash(unchecked: $0) }
    }
}
