public import Chain
public import DataAvailability
public import Primitives

// Messages of the DA module. Route `da/<kind>`; bodies are canonical encodings (ADR 0001); the
// sender is the transaction's sender. Rules: Docs/spec/data-availability.md, "On the L1".

extension DataAvailabilityModule {
    /// Records the data root of `domain`'s block at `height` (kind 1). Only the domain's proposer
    /// for that height may post it, once per height, heights increasing.
    public struct PostCommitment: ModuleMessage, Hashable {
        /// `da`, kind 1.
        public static let route = MessageRoute(module: DataAvailabilityModule.moduleName, kind: 1)
        /// The domain (its chain id).
        public var domain: String
        /// The domain block's height.
        public var height: UInt64
        /// The data root of the block's extended square.
        public var dataRoot: Hash
        /// `k` (1…127): the original square is `k × k` shares.
        public var originalWidth: UInt16

        /// A message from its parts.
        public init(domain: String, height: UInt64, dataRoot: Hash, originalWidth: UInt16) {
            self.domain = domain
            self.height = height
            self.dataRoot = dataRoot
            self.originalWidth = originalWidth
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(domain)
            encoder.write(height)
            encoder.write(dataRoot)
            encoder.write(originalWidth)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            self.init(
                domain: try decoder.read(String.self, maxLength: DataAvailabilityModule.maximumDomainBytes),
                height: try decoder.read(UInt64.self), dataRoot: try decoder.read(Hash.self),
                originalWidth: try decoder.read(UInt16.self))
        }
    }

    /// Part (or all) of a bad-encoding proof against `domain`'s block at `height` (kind 2).
    ///
    /// A proof needs `k` shares of the line, up to 127 × 512 bytes, more than one transaction
    /// holds; so it may come in parts, from anyone. Each part's shares are checked against the
    /// committed roots when they arrive and kept; when `k` distinct shares are in, the whole proof
    /// is checked. If the line does not decode to its committed root, the commitment is rejected
    /// and its poster slashed; if it does, the parts are dropped.
    public struct ReportBadEncoding: ModuleMessage, Hashable {
        /// `da`, kind 2.
        public static let route = MessageRoute(module: DataAvailabilityModule.moduleName, kind: 2)
        /// The domain.
        public var domain: String
        /// The domain block's height.
        public var height: UInt64
        /// The line, its committed root with proof, and some (or all) of its `k` shares.
        public var proof: BadEncodingProof

        /// A message from its parts.
        public init(domain: String, height: UInt64, proof: BadEncodingProof) {
            self.domain = domain
            self.height = height
            self.proof = proof
        }

        /// `proof` cut into messages of at most `itemsPerMessage` shares each.
        public static func parts(domain: String, height: UInt64, proof: BadEncodingProof, itemsPerMessage: Int = 10)
            -> [ReportBadEncoding]
        {
            stride(from: 0, to: proof.items.count, by: max(1, itemsPerMessage)).map { start in
                let items = Array(proof.items[start..<min(start + max(1, itemsPerMessage), proof.items.count)])
                let part = BadEncodingProof(
                    axis: proof.axis, index: proof.index, rootsRoot: proof.rootsRoot, root: proof.root,
                    rootProof: proof.rootProof, items: items)
                return ReportBadEncoding(domain: domain, height: height, proof: part)
            }
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(domain)
            encoder.write(height)
            encoder.write(proof)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            self.init(
                domain: try decoder.read(String.self, maxLength: DataAvailabilityModule.maximumDomainBytes),
                height: try decoder.read(UInt64.self), proof: try decoder.read(BadEncodingProof.self))
        }
    }
}
