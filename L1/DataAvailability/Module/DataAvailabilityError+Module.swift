public import Chain
public import DataAvailability
public import Primitives

/// Why a DA message failed (codes in the `da` code space; wording is part of the state machine).
public enum DataAvailabilityModuleError: ModuleError, Equatable, Sendable {
    case unknownMessageKind(UInt16)
    case invalidDomain(String)
    case invalidWidth(UInt16)
    case noProposer(domain: String)
    case notProposer(domain: String, height: UInt64, proposer: Address, sender: Address)
    case alreadyPosted(domain: String, height: UInt64)
    case heightNotIncreasing(domain: String, height: UInt64, latest: UInt64)
    case noCommitment(domain: String, height: UInt64)
    case alreadyRejected(domain: String, height: UInt64)
    case emptyReport
    case widthMismatch(committed: UInt16, proof: Int)
    case invalidProof(DataAvailabilityError)

    public var code: UInt32 {
        switch self {
        case .unknownMessageKind: 1
        case .invalidDomain: 2
        case .invalidWidth: 3
        case .noProposer: 4
        case .notProposer: 5
        case .alreadyPosted: 6
        case .heightNotIncreasing: 7
        case .noCommitment: 8
        case .alreadyRejected: 9
        case .emptyReport: 10
        case .widthMismatch: 11
        case .invalidProof: 12
        }
    }

    public var description: String {
        switch self {
        case .unknownMessageKind(let kind): "the da module has no message kind \(kind)"
        case .invalidDomain(let domain): "\"\(domain)\" is not a domain id (1–64 letters, digits, '.', '_', '-')"
        case .invalidWidth(let width): "square width \(width) is outside 1…\(ShareFormat.maxOriginalWidth)"
        case .noProposer(let domain): "domain \(domain) has no validator set this epoch"
        case .notProposer(let domain, let height, let proposer, let sender):
            "\(sender) is not the proposer of \(domain) at height \(height) (\(proposer) is)"
        case .alreadyPosted(let domain, let height): "\(domain) height \(height) already has a commitment"
        case .heightNotIncreasing(let domain, let height, let latest):
            "\(domain) height \(height) is not above the latest posted height \(latest)"
        case .noCommitment(let domain, let height): "\(domain) height \(height) has no commitment"
        case .alreadyRejected(let domain, let height):
            "the commitment of \(domain) height \(height) is already rejected"
        case .emptyReport: "a bad-encoding report needs at least one share"
        case .widthMismatch(let committed, let proof):
            "the proof is for a \(proof)-wide square; the commitment is \(committed) wide"
        case .invalidProof(let error): "invalid bad-encoding proof: \(error)"
        }
    }
}
