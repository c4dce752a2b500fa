public import Primitives

/// Why an update was refused: sent to the proposer in a rejection, or reported locally.
///
/// It travels on the wire, so it has a canonical encoding with a fixed tag per case.
public enum UpdateRejection: Error, Hashable, Sendable, CustomStringConvertible {
    /// The state names another channel.
    case wrongChannel
    /// The version is not the current version plus one.
    case versionNotNext(expected: UInt64, actual: UInt64)
    /// The total of balances and locked funds changed.
    case fundsNotConserved(before: UInt64, after: UInt64)
    /// The allocation's total does not fit in 64 bits.
    case allocationOverflow
    /// The allocation's shape is wrong (the message says how).
    case malformedAllocation(String)
    /// The current state is final: nothing may follow it.
    case channelFinal
    /// The proposer's or acceptor's signature does not verify.
    case invalidSignature
    /// We have proposals in flight (as many as allowed, or one the peer's proposal does not follow).
    case proposalPending
    /// Acceptance or rejection of a version we did not propose (late, replayed or forged).
    case unknownProposal(version: UInt64)
    /// The application's rule refused the transition (the message says why).
    case appRule(String)
    /// The proposal built on our proposal of `version`, which the peer rejected.
    case dependsOnRejected(version: UInt64)

    public var description: String {
        switch self {
        case .wrongChannel: "the state belongs to another channel"
        case .versionNotNext(let expected, let actual): "version \(actual) proposed, expected \(expected)"
        case .fundsNotConserved(let before, let after): "funds not conserved: total \(before) before, \(after) after"
        case .allocationOverflow: "the allocation's total overflows 64 bits"
        case .malformedAllocation(let reason): "malformed allocation: \(reason)"
        case .channelFinal: "the channel's current state is final"
        case .invalidSignature: "the signature does not verify"
        case .proposalPending: "proposals of ours are still waiting for answers"
        case .unknownProposal(let version): "no proposal of version \(version) is pending"
        case .appRule(let reason): "refused by the application rule: \(reason)"
        case .dependsOnRejected(let version): "it built on our proposal of version \(version), which was rejected"
        }
    }
}

extension UpdateRejection: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        switch self {
        case .wrongChannel: encoder.write(UInt8(0))
        case .versionNotNext(let expected, let actual):
            encoder.write(UInt8(1))
            encoder.write(expected)
            encoder.write(actual)
        case .fundsNotConserved(let before, let after):
            encoder.write(UInt8(2))
            encoder.write(before)
            encoder.write(after)
        case .allocationOverflow: encoder.write(UInt8(3))
        case .malformedAllocation(let reason):
            encoder.write(UInt8(4))
            encoder.write(reason)
        case .channelFinal: encoder.write(UInt8(5))
        case .invalidSignature: encoder.write(UInt8(6))
        case .proposalPending: encoder.write(UInt8(7))
        case .unknownProposal(let version):
            encoder.write(UInt8(8))
            encoder.write(version)
        case .appRule(let reason):
            encoder.write(UInt8(9))
            encoder.write(reason)
        case .dependsOnRejected(let version):
            encoder.write(UInt8(10))
            encoder.write(version)
        }
    }

    /// The longest reason text accepted from a peer.
    static let maxReasonLength = 256

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let at = decoder.offset
        switch try decoder.read(UInt8.self) {
        case 0: self = .wrongChannel
        case 1: self = .versionNotNext(expected: try decoder.read(UInt64.self), actual: try decoder.read(UInt64.self))
        case 2: self = .fundsNotConserved(before: try decoder.read(UInt64.self), after: try decoder.read(UInt64.self))
        case 3: self = .allocationOverflow
        case 4: self = .malformedAllocation(try decoder.read(String.self, maxLength: Self.maxReasonLength))
        case 5: self = .channelFinal
        case 6: self = .invalidSignature
        case 7: self = .proposalPending
        case 8: self = .unknownProposal(version: try decoder.read(UInt64.self))
        case 9: self = .appRule(try decoder.read(String.self, maxLength: Self.maxReasonLength))
        case 10: self = .dependsOnRejected(version: try decoder.read(UInt64.self))
        case let tag: throw .unknownTag(offset: at, tag: UInt64(tag), type: "UpdateRejection")
        }
    }
}
