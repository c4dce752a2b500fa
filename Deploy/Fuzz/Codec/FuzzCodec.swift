// libFuzzer target for the canonical decoder (built only with AETHER_FUZZ=1; see Docs/fuzzing.md).
//
// Properties checked on every input:
// 1. Decoding never traps: it returns a value or throws a CodecError.
// 2. Canonicality: when decoding succeeds, encoding the value gives back exactly the input bytes.
//    Two different byte strings must never decode to the same value.
import Primitives

/// Every kind of field the codec has, nested, so one input reaches every read path.
struct FuzzRecord: CanonicalCodable, Equatable {
    var flag: Bool
    var small: UInt16
    var word: UInt32
    var amount: UInt64
    var delta: Int64
    var name: String
    var payload: [UInt8]
    var root: Hash
    var list: [UInt32]
    var memo: String?
    var table: [String: UInt64]
    var proof: MerkleProof
    var children: [FuzzRecord]

    func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(flag)
        encoder.write(small)
        encoder.write(word)
        encoder.write(amount)
        encoder.write(delta)
        encoder.write(name)
        encoder.write(bytes: payload)
        encoder.write(root)
        encoder.write(list)
        encoder.write(memo)
        encoder.write(map: table)
        encoder.write(proof)
        encoder.write(children)
    }

    init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        flag = try decoder.read(Bool.self)
        small = try decoder.read(UInt16.self)
        word = try decoder.read(UInt32.self)
        amount = try decoder.read(UInt64.self)
        delta = try decoder.read(Int64.self)
        name = try decoder.read(String.self, maxLength: 64)
        payload = try decoder.readBytes(maxLength: 4096)
        root = try decoder.read(Hash.self)
        list = try decoder.readArray(of: UInt32.self, maxCount: 64)
        memo = try decoder.readOptional(String.self)
        table = try decoder.readMap(String.self, UInt64.self, maxCount: 16)
        proof = try decoder.read(MerkleProof.self)
        children = try decoder.readArray(of: FuzzRecord.self, maxCount: 4)
    }
}

let limits = CodecLimits(
    maxInputBytes: 1 << 20, maxByteStringLength: 1 << 16, maxCollectionCount: 1 << 12, maxDepth: 16)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCodec(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = start.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
    if let record = try? Canonical.decode(FuzzRecord.self, from: input, limits: limits) {
        precondition(Canonical.encode(record) == input, "a decoded value re-encodes to different bytes")
    }
    if let proof = try? Canonical.decode(MerkleProof.self, from: input, limits: limits) {
        precondition(Canonical.encode(proof) == input, "a decoded Merkle proof re-encodes to different bytes")
        _ = try? proof.root(leafHash: .zero)
    }
    var decoder = try? CanonicalDecoder(input, limits: limits)
    _ = try? decoder?.readVarint()
    return 0
}
