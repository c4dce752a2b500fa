// libFuzzer target for the ICS-23 protobuf decoder and verifier (built only with AETHER_FUZZ=1).
//
// Properties checked on every input:
// 1. Decoding and verifying never trap: they return or throw an ICS23Error.
// 2. A decoded proof re-encodes to bytes that decode to the same proof.
import Primitives

let specs: [ICS23.ProofSpec] = [.iavl, .tendermint, .smt]
let root = [UInt8](repeating: 0x5a, count: 32)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzICS23(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = start.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
    guard let proof = try? ICS23.CommitmentProof(protobuf: input) else { return 0 }
    let reencoded = proof.protobufEncoded()
    let again = try? ICS23.CommitmentProof(protobuf: reencoded)
    precondition(again == proof, "a decoded proof does not survive re-encoding")
    let key: [UInt8]
    let value: [UInt8]
    switch proof {
    case .exist(let existence):
        key = existence.key
        value = existence.value
        _ = try? existence.calculateRoot()
    case .nonexist(let nonExistence):
        key = nonExistence.key
        value = [1]
    default:
        key = [1]
        value = [1]
    }
    for spec in specs {
        _ = try? ICS23.verifyMembership(spec: spec, root: root, proof: proof, key: key, value: value)
        _ = try? ICS23.verifyNonMembership(spec: spec, root: root, proof: proof, key: key)
    }
    return 0
}
