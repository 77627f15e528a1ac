/// Date and time parsing for provider answers, without Foundation formatters (deterministic, UTC only).
enum ProviderTime {
    /// Milliseconds since the epoch of 00:00 UTC on `yyyy-MM-dd`, or nil.
    static func dayMilliseconds(_ text: Substring) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
            (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        return Self.daysFromCivil(y: y, m: m, d: d) * 86_400_000
    }

    static func dayMilliseconds(_ text: String) -> Int64? { Self.dayMilliseconds(text[...]) }

    /// Milliseconds since the epoch of an ISO-8601 date-time: `2024-06-03T12:34:56Z`, with optional fractional
    /// seconds and a `Z` or `±hh:mm` offset; nil when it is not one.
    static func isoMilliseconds(_ text: String) -> Int64? {
        guard let t = text.firstIndex(where: { $0 == "T" || $0 == " " }),
            let day = Self.dayMilliseconds(text[..<t])
        else { return nil }
        var rest = text[text.index(after: t)...]
        var offsetMs: Int64 = 0
        if rest.hasSuffix("Z") || rest.hasSuffix("z") {
            rest = rest.dropLast()
        } else if let sign = rest.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let offset = rest[rest.index(after: sign)...].split(separator: ":")
            guard offset.count == 2 || (offset.count == 1 && offset[0].count == 4) else { return nil }
            let hh = offset.count == 2 ? Int64(offset[0]) : Int64(offset[0].prefix(2))
            let mm = offset.count == 2 ? Int64(offset[1]) : Int64(offset[0].suffix(2))
            guard let hh, let mm else { return nil }
            offsetMs = (hh * 60 + mm) * 60_000 * (rest[sign] == "-" ? -1 : 1)
            rest = rest[..<sign]
        } else {
            return nil
        }
        let hms = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard hms.count == 3, let h = Int64(hms[0]), let m = Int64(hms[1]) else { return nil }
        let secondParts = hms[2].split(separator: ".", omittingEmptySubsequences: false)
        guard let s = Int64(secondParts[0]), secondParts.count <= 2 else { return nil }
        var ms: Int64 = 0
        if secondParts.count == 2 {
            let digits = String(secondParts[1].prefix(3)).padding(toLength: 3, withPad: "0", startingAt: 0)
            guard let value = Int64(digits), secondParts[1].allSatisfy(\.isNumber) else { return nil }
            ms = value
        }
        guard (0..<24).contains(h), (0..<60).contains(m), (0...60).contains(s) else { return nil }
        return day + ((h * 60 + m) * 60 + s) * 1000 + ms - offsetMs
    }

    /// `yyyy-MM-dd` of a time in ms (UTC).
    static func dayString(_ ms: Int64) -> String {
        let days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        let (y, m, d) = Self.civilFromDays(days)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))"
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(y: Int64, m: Int64, d: Int64) -> Int64 {
        let y = m <= 2 ? y - 1 : y
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z: Int64) -> (Int64, Int64, Int64) {
        let z = z + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
