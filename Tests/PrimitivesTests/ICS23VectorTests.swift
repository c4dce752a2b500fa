import Foundation
import Testing

@testable import Primitives

// Published ICS-23 vectors (Tests/Vectors/ics23, from cosmos/ics23). Every file in every folder is
// run; a file added later is tested with no code change.

// MARK: - Per-tree vectors (testdata/{iavl,tendermint,smt}/*.json)

/// One `exist_*` / `nonexist_*` vector file, named by its folder (which names the spec).
struct ICS23VectorFile: Sendable, CustomTestStringConvertible {
    let folder: String
    let url: URL

    var testDescription: String { "\(folder)/\(url.lastPathComponent)" }

    /// The spec each folder's proofs are built for (README table).
    static let specs: [String: ICS23.ProofSpec] = ["iavl": .iavl, "tendermint": .tendermint, "smt": .smt]

    /// Every JSON file in every sub-folder of `ics23/testdata`.
    static func all() throws -> [ICS23VectorFile] {
        let base = Vectors.root.appendingPathComponent("ics23/testdata")
        let folders = try FileManager.default.contentsOfDirectory(atPath: base.path).filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(
                atPath: base.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }
        return try folders.sorted().flatMap { folder in
            try Vectors.jsonFiles(in: "ics23/testdata/\(folder)").map { ICS23VectorFile(folder: folder, url: $0) }
        }
    }

    /// The folder's spec; a new folder needs an entry in `specs`, and says so.
    func spec() throws -> ICS23.ProofSpec {
        guard let spec = Self.specs[folder] else {
            throw VectorFileError(file: url, reason: "no ProofSpec known for folder \(folder)")
        }
        return spec
    }

    /// Whether the file proves membership (`exist_*`) or absence (`nonexist_*`).
    func isExistence() throws -> Bool {
        let name = url.lastPathComponent
        if name.hasPrefix("exist_") { return true }
        if name.hasPrefix("nonexist_") { return false }
        throw VectorFileError(file: url, reason: "name starts with neither exist_ nor nonexist_")
    }

    func load() throws -> ICS23Vector {
        let object = try Vectors.object(url)
        func hex(_ field: String) throws -> [UInt8] {
            guard let text = object[field] as? String else {
                throw VectorFileError(file: url, reason: "missing string field \(field)")
            }
            return try Hex.decode(text)
        }
        return ICS23Vector(
            spec: try spec(),
            isExistence: try isExistence(),
            root: try hex("root"),
            key: try hex("key"),
            value: try hex("value"),
            proofBytes: try hex("proof")
        )
    }
}

/// A loaded per-tree vector.
struct ICS23Vector {
    let spec: ICS23.ProofSpec
    let isExistence: Bool
    let root: [UInt8]
    let key: [UInt8]
    let value: [UInt8]
    let proofBytes: [UInt8]

    /// Verifies `proof` the way this vector's file name says, for `key` (and `value`).
    func verify(
        _ proof: ICS23.CommitmentProof,
        spec: ICS23.ProofSpec? = nil,
        root: [UInt8]? = nil,
        key: [UInt8]? = nil,
        value: [UInt8]? = nil
    ) throws(ICS23Error) {
        if isExistence {
            try ICS23.verifyMembership(
                spec: spec ?? self.spec,
                root: root ?? self.root,
                proof: proof,
                key: key ?? self.key,
                value: value ?? self.value
            )
        } else {
            try ICS23.verifyNonMembership(
                spec: spec ?? self.spec,
                root: root ?? self.root,
                proof: proof,
                key: key ?? self.key
            )
        }
    }
}

@Suite("ICS-23 published vectors")
struct ICS23VectorTests {
    @Test("proof verifies against its folder's spec and re-encodes byte for byte", arguments: try ICS23VectorFile.all())
    func vectorVerifies(_ file: ICS23VectorFile) throws {
        let vector = try file.load()
        let proof = try ICS23.CommitmentProof(protobuf: vector.proofBytes)
        switch proof {
        case .exist: #expect(vector.isExistence, "exist_ file must hold an existence proof")
        case .nonexist: #expect(!vector.isExistence, "nonexist_ file must hold a non-existence proof")
        default: Issue.record("unexpected proof kind \(proof.kindName)")
        }
        #expect(proof.protobufEncoded() == vector.proofBytes)
        try vector.verify(proof)
    }

    @Test("the folders hold every vector kind the README lists")
    func everyFolderIsCovered() throws {
        let names = Set(try ICS23VectorFile.all().map(\.testDescription))
        for folder in ["iavl", "tendermint", "smt"] {
            for kind in ["exist_left", "exist_right", "nonexist_left", "nonexist_right"] {
                #expect(names.contains("\(folder)/\(kind).json"))
            }
        }
    }
}

// MARK: - Unit-test data (testdata/Test*.json, Go encoding/json of the protobuf structs)

/// Reads Go `encoding/json` output for the ICS-23 structs: bytes are base64, enums integers,
/// absent fields zero, and field names matched case-insensitively (as Go's decoder does; one
/// TestDoHashData case spells `PreImage`).
enum ICS23GoJSON {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    static func load(_ name: String) throws -> Any {
        let url = Vectors.root.appendingPathComponent("ics23/testdata/\(name)")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    }

    /// The cases of a file whose top level is an object keyed by case name.
    static func cases(_ name: String) throws -> [String: [String: Any]] {
        guard let object = try load(name) as? [String: [String: Any]] else {
            throw Malformed(description: "\(name): top level is not an object of objects")
        }
        return object
    }

    /// The cases of a file whose top level is an array.
    static func arrayCases(_ name: String) throws -> [[String: Any]] {
        guard let array = try load(name) as? [[String: Any]] else {
            throw Malformed(description: "\(name): top level is not an array of objects")
        }
        return array
    }

    static func caseNames(_ name: String) throws -> [String] {
        try cases(name).keys.sorted()
    }

    static func testCase(_ name: String, in file: String) throws -> [String: Any] {
        guard let value = try cases(file)[name] else { throw Malformed(description: "\(file): no case \(name)") }
        return value
    }

    static func field(_ object: [String: Any], _ name: String) -> Any? {
        let value = object[name] ?? object.first { $0.key.lowercased() == name.lowercased() }?.value
        return value is NSNull ? nil : value
    }

    static func bytes(_ object: [String: Any], _ name: String) throws -> [UInt8] {
        guard let value = field(object, name) else { return [] }
        guard let text = value as? String, let data = Data(base64Encoded: text) else {
            throw Malformed(description: "\(name) is not base64")
        }
        return [UInt8](data)
    }

    static func int(_ object: [String: Any], _ name: String) throws -> Int {
        guard let value = field(object, name) else { return 0 }
        guard let number = value as? Int else { throw Malformed(description: "\(name) is not an integer") }
        return number
    }

    static func bool(_ object: [String: Any], _ name: String) -> Bool {
        field(object, name) as? Bool ?? false
    }

    static func string(_ object: [String: Any], _ name: String) -> String {
        field(object, name) as? String ?? ""
    }

    static func hashOp(_ object: [String: Any], _ name: String) throws -> ICS23.HashOp {
        let raw = try int(object, name)
        guard let op = ICS23.HashOp(rawValue: Int32(raw)) else { throw Malformed(description: "hash op \(raw)") }
        return op
    }

    static func object(_ value: Any?) throws -> [String: Any]? {
        guard let value, !(value is NSNull) else { return nil }
        guard let object = value as? [String: Any] else { throw Malformed(description: "expected an object") }
        return object
    }

    static func leafOp(_ value: Any?) throws -> ICS23.LeafOp? {
        guard let object = try object(value) else { return nil }
        let length = try int(object, "length")
        guard let lengthOp = ICS23.LengthOp(rawValue: Int32(length)) else {
            throw Malformed(description: "length op \(length)")
        }
        return ICS23.LeafOp(
            hash: try hashOp(object, "hash"),
            prehashKey: try hashOp(object, "prehash_key"),
            prehashValue: try hashOp(object, "prehash_value"),
            length: lengthOp,
            prefix: try bytes(object, "prefix")
        )
    }

    static func innerOp(_ value: Any?) throws -> ICS23.InnerOp {
        let object = try object(value) ?? [:]
        return ICS23.InnerOp(
            hash: try hashOp(object, "hash"),
            prefix: try bytes(object, "prefix"),
            suffix: try bytes(object, "suffix")
        )
    }

    static func existenceProof(_ value: Any?) throws -> ICS23.ExistenceProof {
        let object = try object(value) ?? [:]
        let path = field(object, "path") as? [Any] ?? []
        return ICS23.ExistenceProof(
            key: try bytes(object, "key"),
            value: try bytes(object, "value"),
            leaf: try leafOp(field(object, "leaf")),
            path: try path.map(innerOp)
        )
    }

    static func proofSpec(_ value: Any?) throws -> ICS23.ProofSpec {
        let object = try object(value) ?? [:]
        let inner = try self.object(field(object, "inner_spec")) ?? [:]
        let order = field(inner, "child_order") as? [Int] ?? []
        return ICS23.ProofSpec(
            leafSpec: try leafOp(field(object, "leaf_spec")) ?? ICS23.LeafOp(),
            innerSpec: ICS23.InnerSpec(
                childOrder: order.map { Int32($0) },
                childSize: Int32(try int(inner, "child_size")),
                minPrefixLength: Int32(try int(inner, "min_prefix_length")),
                maxPrefixLength: Int32(try int(inner, "max_prefix_length")),
                emptyChild: try bytes(inner, "empty_child"),
                hash: try hashOp(inner, "hash")
            ),
            maxDepth: Int32(try int(object, "max_depth")),
            minDepth: Int32(try int(object, "min_depth")),
            prehashKeyBeforeComparison: bool(object, "prehash_key_before_comparison")
        )
    }

    /// The Go reference's message for `error`, where the vectors compare messages
    /// (TestCheckAgainstSpecData). Other errors keep our wording, so a vector expecting a Go
    /// message not mapped here fails and shows both.
    static func referenceMessage(_ error: ICS23Error) -> String {
        switch error {
        case .missingLeaf: "existence Proof needs defined LeafOp"
        case .inLeaf(let inner): "leaf, " + referenceMessage(inner)
        case .inPathStep(_, let inner): "inner, " + referenceMessage(inner)
        case .pathTooShort(let length, _): "innerOps depth too short: \(length)"
        case .pathTooLong(let length, _): "innerOps depth too long: \(length)"
        case .unexpectedHashOp(let op, _): "unexpected HashOp: \(op.rawValue)"
        case .unexpectedPrehashKey(let op, _): "unexpected PrehashKey: \(op.rawValue)"
        case .unexpectedPrehashValue(let op, _): "unexpected PrehashValue: \(op.rawValue)"
        case .unexpectedLengthOp(let op, _): "unexpected LengthOp: \(op.rawValue)"
        case .invalidIAVLPrefix(let layer, .heightBelowLayer(let height)):
            "IAVL height (\(height)) must be non-negative and greater than or equal to the layer number (\(layer))"
        default: "\(error)"
        }
    }
}

@Suite("ICS-23 unit-test data")
struct ICS23UnitDataTests {
    @Test("TestLeafOpData", arguments: try ICS23GoJSON.caseNames("TestLeafOpData.json"))
    func leafOp(_ name: String) throws {
        let data = try ICS23GoJSON.testCase(name, in: "TestLeafOpData.json")
        let op = try #require(try ICS23GoJSON.leafOp(ICS23GoJSON.field(data, "Op")))
        let key = try ICS23GoJSON.bytes(data, "Key")
        let value = try ICS23GoJSON.bytes(data, "Value")
        if ICS23GoJSON.bool(data, "IsErr") {
            #expect(throws: ICS23Error.self) { try op.apply(key: key, value: value) }
        } else {
            #expect(try op.apply(key: key, value: value) == ICS23GoJSON.bytes(data, "Expected"))
        }
    }

    @Test("TestInnerOpData", arguments: try ICS23GoJSON.caseNames("TestInnerOpData.json"))
    func innerOp(_ name: String) throws {
        let data = try ICS23GoJSON.testCase(name, in: "TestInnerOpData.json")
        let op = try ICS23GoJSON.innerOp(ICS23GoJSON.field(data, "Op"))
        let child = try ICS23GoJSON.bytes(data, "Child")
        if ICS23GoJSON.bool(data, "IsErr") {
            #expect(throws: ICS23Error.self) { try op.apply(child: child) }
        } else {
            #expect(try op.apply(child: child) == ICS23GoJSON.bytes(data, "Expected"))
        }
    }

    @Test("TestExistenceProofData", arguments: try ICS23GoJSON.caseNames("TestExistenceProofData.json"))
    func existenceProof(_ name: String) throws {
        let data = try ICS23GoJSON.testCase(name, in: "TestExistenceProofData.json")
        let proof = try ICS23GoJSON.existenceProof(ICS23GoJSON.field(data, "Proof"))
        if ICS23GoJSON.bool(data, "IsErr") {
            #expect(throws: ICS23Error.self) { try proof.calculateRoot() }
        } else {
            #expect(try proof.calculateRoot() == ICS23GoJSON.bytes(data, "Expected"))
        }
    }

    @Test("TestCheckLeafData", arguments: try ICS23GoJSON.caseNames("TestCheckLeafData.json"))
    func checkLeaf(_ name: String) throws {
        let data = try ICS23GoJSON.testCase(name, in: "TestCheckLeafData.json")
        let leaf = try ICS23GoJSON.leafOp(ICS23GoJSON.field(data, "Leaf")) ?? ICS23.LeafOp()
        // The reference checks against a spec with only this leaf spec set.
        let spec = ICS23.ProofSpec(
            leafSpec: try ICS23GoJSON.leafOp(ICS23GoJSON.field(data, "Spec")) ?? ICS23.LeafOp(),
            innerSpec: ICS23.InnerSpec())
        if ICS23GoJSON.bool(data, "IsErr") {
            #expect(throws: ICS23Error.self) { try leaf.check(against: spec) }
        } else {
            try leaf.check(against: spec)
        }
    }

    @Test("TestCheckAgainstSpecData", arguments: try ICS23GoJSON.caseNames("TestCheckAgainstSpecData.json"))
    func checkAgainstSpec(_ name: String) throws {
        let data = try ICS23GoJSON.testCase(name, in: "TestCheckAgainstSpecData.json")
        let proof = try ICS23GoJSON.existenceProof(ICS23GoJSON.field(data, "Proof"))
        let spec = try ICS23GoJSON.proofSpec(ICS23GoJSON.field(data, "Spec"))
        let expected = ICS23GoJSON.string(data, "Err")
        do {
            try proof.check(against: spec)
            #expect(expected.isEmpty, "accepted, but the reference rejects with: \(expected)")
        } catch {
            #expect(ICS23GoJSON.referenceMessage(error) == expected, "our error: \(error)")
        }
    }

    @Test("TestEmptyBranchData", arguments: try ICS23GoJSON.arrayCases("TestEmptyBranchData.json").indices)
    func emptyBranch(_ index: Int) throws {
        let data = try ICS23GoJSON.arrayCases("TestEmptyBranchData.json")[index]
        let op = try ICS23GoJSON.innerOp(ICS23GoJSON.field(data, "Op"))
        let spec = try ICS23GoJSON.proofSpec(ICS23GoJSON.field(data, "Spec"))
        try op.check(against: spec, layer: 1)
        #expect(try spec.innerSpec.leftBranchesAreEmpty(op) == ICS23GoJSON.bool(data, "IsLeft"))
        #expect(try spec.innerSpec.rightBranchesAreEmpty(op) == ICS23GoJSON.bool(data, "IsRight"))
    }

    @Test("every unit-test data file has cases")
    func filesHaveCases() throws {
        #expect(try !ICS23GoJSON.arrayCases("TestEmptyBranchData.json").isEmpty)
        for name in [
            "TestLeafOpData", "TestInnerOpData", "TestExistenceProofData", "TestCheckLeafData",
            "TestCheckAgainstSpecData", "TestDoHashData",
        ] {
            #expect(try !ICS23GoJSON.caseNames("\(name).json").isEmpty, "\(name)")
        }
    }

    @Test("TestDoHashData", arguments: try ICS23GoJSON.caseNames("TestDoHashData.json"))
    func doHash(_ name: String) throws {
        let data = try ICS23GoJSON.testCase(name, in: "TestDoHashData.json")
        let op = try ICS23GoJSON.hashOp(data, "HashOp")
        let preimage = Array(ICS23GoJSON.string(data, "Preimage").utf8)
        #expect(!preimage.isEmpty, "case \(name) has no preimage")
        #expect(try op.digest(preimage).hex == ICS23GoJSON.string(data, "ExpectedHash"))
    }
}
