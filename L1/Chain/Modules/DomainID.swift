/// A domain's id as the L1's modules name it: the app-chain's chain id, 1–64 bytes of ASCII
/// letters, digits, `.`, `_` and `-`.
public enum DomainID {
    /// The longest domain id, in bytes.
    public static let maximumBytes = 64

    /// True for a well-formed domain id.
    public static func isValid(_ domain: String) -> Bool {
        let bytes = domain.utf8
        guard (1...maximumBytes).contains(bytes.count) else { return false }
        return bytes.allSatisfy {
            switch $0 {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default: false
            }
        }
    }
}
