/// Symbol rules: case-insensitive on input, canonical upper case on output, 1–32 characters from
/// `A–Z 0–9 . - _ ^ =` after upper-casing, not only dots.
public enum Symbol {
    /// The longest symbol accepted.
    public static let maxLength = 32

    /// The canonical form of `raw`, or nil when it breaks the rules.
    public static func normalize(_ raw: String) -> String? {
        var out = [UInt8]()
        out.reserveCapacity(raw.utf8.count)
        for c in raw.utf8 {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): out.append(c - 32)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.append(c)
            case UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "^"), UInt8(ascii: "="):
                out.append(c)
            default: return nil
            }
        }
        // Only dots (`.`, `..`) would be a path segment that URL normalisation removes: unreachable by clients.
        guard !out.isEmpty, out.count <= maxLength, out.contains(where: { $0 != UInt8(ascii: ".") }) else {
            return nil
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The human explanation of the rules, for error details.
    public static let rule = "a symbol is 1–32 characters from A–Z 0–9 . - _ ^ = (case-insensitive), not only dots"
}
