import ArgumentParser
import Foundation
import Primitives

extension Util {
    /// `aether util ics23-verify FILE`: checks an ICS-23 proof file in the cosmos/ics23 vector format.
    struct ICS23Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ics23-verify",
            abstract: "Verify an ICS-23 commitment proof file; exit 0 when it verifies, 1 with the reason when not.",
            discussion: """
                FILE is JSON with hex fields root, key, value and proof (a protobuf CommitmentProof), as in \
                cosmos/ics23's testdata. An empty value means the proof claims the key is absent. The proof \
                spec is --spec, or the name of the file's folder (iavl, tendermint, smt).
                """)
        @Argument(help: "The proof file.") var file: String
        @Option(help: "Proof spec: iavl, tendermint or smt (default: the file's folder name).") var spec: SpecName?
        @OptionGroup var output: OutputOptions

        enum SpecName: String, ExpressibleByArgument, CaseIterable {
            case iavl
            case tendermint
            case smt

            var proofSpec: ICS23.ProofSpec {
                switch self {
                case .iavl: .iavl
                case .tendermint: .tendermint
                case .smt: .smt
                }
            }
        }

        func run() throws {
            try reportingErrors(json: output.json) {
                let chosen = try spec ?? inferredSpec()
                let fields = try proofFields()
                let proof = try ICS23.CommitmentProof(protobuf: fields.proof)
                let membership = !fields.value.isEmpty
                if membership {
                    try ICS23.verifyMembership(
                        spec: chosen.proofSpec, root: fields.root, proof: proof, key: fields.key, value: fields.value)
                } else {
                    try ICS23.verifyNonMembership(
                        spec: chosen.proofSpec, root: fields.root, proof: proof, key: fields.key)
                }
                var out = Report()
                out.add("valid", true)
                out.add("spec", chosen.rawValue)
                out.add("kind", membership ? "existence" : "non-existence")
                out.add("root", Hex.encode(fields.root))
                out.add("key", Hex.encode(fields.key))
                out.print(json: output.json)
            }
        }

        private func inferredSpec() throws -> SpecName {
            let folder = URL(fileURLWithPath: file).deletingLastPathComponent().lastPathComponent
            guard let name = SpecName(rawValue: folder) else {
                throw CommandFailure(
                    "cannot tell the proof spec from folder '\(folder)': pass --spec iavl|tendermint|smt")
            }
            return name
        }

        private func proofFields() throws -> (root: [UInt8], key: [UInt8], value: [UInt8], proof: [UInt8]) {
            let raw = try readInput(file)
            guard raw.count <= 4 << 20 else { throw CommandFailure("\(file) is larger than 4 MiB") }
            let parsed: Any
            do { parsed = try JSONSerialization.jsonObject(with: Data(raw)) } catch {
                throw CommandFailure("\(file) is not JSON: \(error.localizedDescription)")
            }
            guard let object = parsed as? [String: Any] else { throw CommandFailure("\(file): expected a JSON object") }
            func field(_ name: String) throws -> [UInt8] {
                guard let text = object[name] as? String else {
                    throw CommandFailure("\(file): missing string field '\(name)'")
                }
                return try hexArgument(text, name: name)
            }
            return (try field("root"), try field("key"), try field("value"), try field("proof"))
        }
    }
}
