/// Values with string names that queries and options list comma-separated (`types=`, `status=`, `--types`).
public protocol CommaSeparatedNames: RawRepresentable, Hashable where RawValue == String {}

extension CommaSeparatedNames {
    /// Parses a comma-separated list of names; nil if any name is unknown.
    public static func parseList(_ text: String) -> Set<Self>? {
        var out = Set<Self>()
        for part in text.split(separator: ",") {
            guard let value = Self(rawValue: String(part)) else { return nil }
            out.insert(value)
        }
        return out
    }
}
