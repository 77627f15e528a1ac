/// Values with string names that queries and options list comma-separated (`types=`, `status=`, `--types`).
public protocol CommaSeparatedNames: RawRepresentable, Hashable, CaseIterable where RawValue == String {}

extension CommaSeparatedNames {
    /// Parses a comma-separated list of names (spaces around a name are ignored); nil if any name is unknown or
    /// the list names nothing (an empty filter would silently select nothing).
    public static func parseList(_ text: String) -> Set<Self>? {
        var out = Set<Self>()
        for part in text.split(separator: ",") {
            let name = part.trimmingSpaces
            if name.isEmpty { continue }
            guard let value = Self(rawValue: name) else { return nil }
            out.insert(value)
        }
        return out.isEmpty ? nil : out
    }

    /// Why `text` is not a list of these names: it names nothing, or it holds an unknown one.
    public static func listProblem(_ text: String) -> String {
        let names = allCases.map(\.rawValue).joined(separator: ", ")
        guard text.split(separator: ",").contains(where: { !$0.trimmingSpaces.isEmpty }) else {
            return "names nothing: use one or more of \(names), comma-separated"
        }
        return "unknown value in '\(Echo.text(text))': use \(names)"
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
