/// What a setting holds, and so the form its text must take.
enum SettingKind: Sendable {
    case string
    case int(ClosedRange<Int>)
    case double(ClosedRange<Double>)
    case bool
    /// Comma-separated text, or an array in a config file.
    case list
    case oneOf([String])

    /// The form a value must take, as messages and docs state it ("an integer in 0...65535").
    var expected: String {
        switch self {
        case .string: return "text"
        case .int(let range):
            if range.upperBound == Int.max { return "an integer ≥ \(range.lowerBound)" }
            return "an integer in \(range.lowerBound)...\(range.upperBound)"
        case .double(let range):
            return "a number in \(Self.format(range.lowerBound))...\(Self.format(range.upperBound))"
        case .bool: return "true or false"
        case .list: return "a comma-separated list"
        case .oneOf(let choices): return "one of \(choices.joined(separator: ", "))"
        }
    }

    /// A bound without a needless `.0`.
    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// One setting of a section: its name within the section, kind, documented default, secret flag and a one-line doc.
struct SettingKey: Sendable {
    /// The name under the section, dotted when nested (`port`, `budgets.perMinute`).
    let name: String
    let kind: SettingKind
    /// The default as docs/configuration.md shows it; nil when there is none.
    let defaultText: String?
    /// A secret's value never appears in a message, and providers mark it secret.
    let isSecret: Bool
    let doc: String

    /// Declares a setting.
    init(_ name: String, _ kind: SettingKind, default defaultText: String? = nil, secret: Bool = false, doc: String) {
        self.name = name
        self.kind = kind
        self.defaultText = defaultText
        self.isSecret = secret
        self.doc = doc
    }

    /// The name's dotted segments.
    var components: [String] { self.name.split(separator: ".").map(String.init) }
}
