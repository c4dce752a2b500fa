public import Primitives

/// A token the bank holds, counted in integer base units.
///
/// AIC (AI credits) pays fees and compute and is burned on use; SWR is the staking token. Each is
/// encoded as a one-byte tag; a tag this version does not know is a decoding error.
public enum Denomination: UInt8, Hashable, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// AI credits: fees and compute.
    case aic = 0
    /// The staking token.
    case swr = 1

    /// The lower-case symbol (`aic`, `swr`), as events show it.
    public var description: String {
        switch self {
        case .aic: "aic"
        case .swr: "swr"
        }
    }

    public static func < (lhs: Denomination, rhs: Denomination) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension Denomination: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.write(rawValue) }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let offset = decoder.offset
        let tag = try decoder.read(UInt8.self)
        guard let denomination = Denomination(rawValue: tag) else {
            throw .unknownTag(offset: offset, tag: UInt64(tag), type: "Denomination")
        }
        self = denomination
    }
}
