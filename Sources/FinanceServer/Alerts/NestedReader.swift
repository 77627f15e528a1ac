import FinanceCore

/// Typed access to the members of a nested JSON body (an alert) that records a validation issue, with the JSON
/// pointer of the offending member (`/conditions/0/period`), for every missing, mistyped or out-of-range value.
struct NestedReader {
    var issues: [ValidationIssue] = []

    mutating func fail(_ path: [String], _ detail: String) {
        self.issues.append(ValidationIssue(path: path, detail: detail))
    }

    /// The member's display name in messages: the path joined with dots (`conditions.0.period`).
    static func name(_ path: [String]) -> String { path.isEmpty ? "the body" : path.joined(separator: ".") }

    /// An object, or nil with an issue (a missing one only when `required`).
    mutating func object(_ value: JSONValue?, at path: [String], required: Bool = true) -> [String: JSONValue]? {
        switch value {
        case .object(let o)?: return o
        case nil, .null?:
            if required { self.fail(path, "\(Self.name(path)) is required") }
            return nil
        case let other?:
            self.fail(path, "\(Self.name(path)) must be an object, got \(other.typeName)")
            return nil
        }
    }

    /// An array of `count` items, or nil with an issue (a missing one only when `required`).
    mutating func array(_ value: JSONValue?, at path: [String], count: ClosedRange<Int>, required: Bool) -> [JSONValue]?
    {
        switch value {
        case .array(let items)?:
            guard count.contains(items.count) else {
                self.fail(
                    path,
                    "\(Self.name(path)) must hold \(count.lowerBound) to \(count.upperBound) items, got \(items.count)")
                return nil
            }
            return items
        case nil, .null?:
            if required { self.fail(path, "\(Self.name(path)) is required") }
            return nil
        case let other?:
            self.fail(path, "\(Self.name(path)) must be an array, got \(other.typeName)")
            return nil
        }
    }

    /// A string member.
    mutating func string(_ o: [String: JSONValue], _ key: String, at path: [String], required: Bool) -> String? {
        let at = path + [key]
        switch o[key] {
        case .string(let s)?: return s
        case nil, .null?:
            if required { self.fail(at, "\(Self.name(at)) is required") }
            return nil
        case let other?:
            self.fail(at, "\(Self.name(at)) must be a string, got \(other.typeName)")
            return nil
        }
    }

    /// A text member of 1 to `maxLength` characters without control characters (line breaks and tabs allowed when
    /// `multiline`).
    mutating func text(
        _ o: [String: JSONValue], _ key: String, at path: [String], required: Bool, maxLength: Int,
        multiline: Bool = false
    ) -> String? {
        guard let s = self.string(o, key, at: path, required: required) else { return nil }
        let at = path + [key]
        let count = s.unicodeScalars.count
        guard (1...maxLength).contains(count) else {
            self.fail(at, "\(Self.name(at)) must be 1 to \(maxLength) characters, got \(count)")
            return nil
        }
        let allowed: Set<Unicode.Scalar> = multiline ? ["\n", "\t"] : []
        if s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !allowed.contains($0) }) {
            self.fail(at, "\(Self.name(at)) must not contain control characters")
            return nil
        }
        return s
    }

    /// A finite number member within `range`.
    mutating func number(
        _ o: [String: JSONValue], _ key: String, at path: [String], required: Bool, range: ClosedRange<Double>,
        rangeText: String
    ) -> Double? {
        let at = path + [key]
        let value: Double
        switch o[key] {
        case .integer(let i)?: value = Double(i)
        case .number(let d)?: value = d
        case nil, .null?:
            if required { self.fail(at, "\(Self.name(at)) is required") }
            return nil
        case let other?:
            self.fail(at, "\(Self.name(at)) must be a number, got \(other.typeName)")
            return nil
        }
        guard value.isFinite, range.contains(value) else {
            self.fail(at, "\(Self.name(at)) must be \(rangeText), got \(value)")
            return nil
        }
        return value
    }

    /// An integer member within `range` (`default` when absent).
    mutating func integer(
        _ o: [String: JSONValue], _ key: String, at path: [String], range: ClosedRange<Int>, default value: Int? = nil
    ) -> Int? {
        let at = path + [key]
        let problem = "\(Self.name(at)) must be an integer from \(range.lowerBound) to \(range.upperBound)"
        switch o[key] {
        case .integer(let i)?:
            guard let n = Int(exactly: i), range.contains(n) else {
                self.fail(at, "\(problem), got \(i)")
                return nil
            }
            return n
        case .number(let d)?:
            guard d.isFinite, d.rounded() == d, let n = Int(exactly: d), range.contains(n) else {
                self.fail(at, "\(problem), got \(d)")
                return nil
            }
            return n
        case nil, .null?:
            if value == nil { self.fail(at, "\(Self.name(at)) is required") }
            return value
        case let other?:
            self.fail(at, "\(problem), got \(other.typeName)")
            return nil
        }
    }

    /// A boolean member (`default` when absent).
    mutating func bool(_ o: [String: JSONValue], _ key: String, at path: [String], default value: Bool) -> Bool? {
        switch o[key] {
        case .bool(let b)?: return b
        case nil, .null?: return value
        case let other?:
            self.fail(path + [key], "\(Self.name(path + [key])) must be true or false, got \(other.typeName)")
            return nil
        }
    }

    /// A string member that must be one of `allowed` (`default` when absent).
    mutating func choice(
        _ o: [String: JSONValue], _ key: String, at path: [String], _ allowed: [String], default value: String? = nil
    ) -> String? {
        guard let raw = self.string(o, key, at: path, required: value == nil) else { return value }
        guard allowed.contains(raw) else {
            self.fail(
                path + [key],
                "\(Self.name(path + [key])) must be one of \(allowed.joined(separator: ", ")), got '\(Echo.text(raw))'")
            return nil
        }
        return raw
    }

    /// An interval member (`1m`, `1h`, `1d`...).
    mutating func interval(_ o: [String: JSONValue], _ key: String, at path: [String], required: Bool) -> Interval? {
        guard let raw = self.string(o, key, at: path, required: required) else { return nil }
        guard let interval = Interval(raw) else {
            let names = Interval.all.map(\.name).joined(separator: ", ")
            self.fail(path + [key], "unknown interval '\(Echo.text(raw))': use one of \(names)")
            return nil
        }
        return interval
    }

    /// A time member by the time rule (epoch seconds or milliseconds, or ISO-8601); nil when absent or null.
    mutating func time(_ o: [String: JSONValue], _ key: String, at path: [String]) -> Int64? {
        let at = path + [key]
        let invalid = "\(Self.name(at)) is not a valid time: use epoch seconds or milliseconds, or ISO-8601"
        switch o[key] {
        case .integer(let i)?:
            let ms = Timestamp.milliseconds(fromInteger: i)
            if Timestamp.isValid(ms) { return ms }
        case .number(let d)?:
            if let ms = Timestamp.milliseconds(fromNumber: d), Timestamp.isValid(ms) { return ms }
        case .string(let s)?:
            if let ms = Timestamp.parse(s), Timestamp.isValid(ms) { return ms }
        case nil, .null?:
            return nil
        case let other?:
            self.fail(at, "\(Self.name(at)) must be a number or a string, got \(other.typeName)")
            return nil
        }
        self.fail(at, invalid)
        return nil
    }

    /// Flags members that are not in `known` (nor in `ignored`, members of answers a client may send back).
    mutating func rejectUnknown(
        _ o: [String: JSONValue], known: Set<String>, ignored: Set<String> = [], at path: [String]
    ) {
        for key in o.keys.sorted() where !known.contains(key) && !ignored.contains(key) {
            self.fail(path + [key], "unknown member \(Self.name(path + [key]))")
        }
    }
}
