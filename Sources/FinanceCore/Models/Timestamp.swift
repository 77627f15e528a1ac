/// The time rule used everywhere: integers below 1e11 in absolute value are seconds since the epoch,
/// larger ones milliseconds; ISO-8601 without a zone is UTC; a bare date is 00:00 UTC. Output is always
/// integer milliseconds.
public enum Timestamp {
    /// The boundary between seconds and milliseconds for integer timestamps.
    public static let secondsLimit: Int64 = 100_000_000_000

    /// The times accepted anywhere: 0001-01-01T00:00:00Z up to 9999-12-31T23:59:59.999Z.
    public static let validRange: ClosedRange<Int64> = -62_135_596_800_000...253_402_300_799_999

    /// True when `ms` lies in `validRange`.
    @inlinable
    public static func isValid(_ ms: Int64) -> Bool { validRange.contains(ms) }

    /// Milliseconds for an integer timestamp by the time rule.
    public static func milliseconds(fromInteger value: Int64) -> Int64 {
        // Seconds below 1e11 multiply to below 1e14, far from overflow.
        (value > -secondsLimit && value < secondsLimit) ? value * 1000 : value
    }

    /// Milliseconds for a floating-point timestamp by the time rule (fractions of a second kept), or nil
    /// when it is not finite or out of range.
    public static func milliseconds(fromNumber value: Double) -> Int64? {
        guard value.isFinite, abs(value) < 9e15 else { return nil }
        if abs(value) < Double(secondsLimit) { return Int64((value * 1000).rounded()) }
        return Int64(value.rounded())
    }

    /// Parses an integer or ISO-8601 text by the time rule; nil when it is neither.
    public static func parse(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }.flatMap { isValid($0) ? $0 : nil }
    }

    /// Parses UTF-8 bytes holding an integer or ISO-8601 text by the time rule.
    public static func parse(utf8 s: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard !s.isEmpty else { return nil }
        var isInteger = true
        var start = 0
        if s[0] == UInt8(ascii: "-") || s[0] == UInt8(ascii: "+") { start = 1 }
        if start == s.count { return nil }
        for i in start..<s.count where s[i] < 48 || s[i] > 57 {
            isInteger = false
            break
        }
        if isInteger {
            guard s.count - start <= 18 else { return nil }
            var v: Int64 = 0
            for i in start..<s.count { v = v * 10 + Int64(s[i] - 48) }
            return milliseconds(fromInteger: s[0] == UInt8(ascii: "-") ? -v : v)
        }
        if let iso = parseISO(s) { return iso }
        // A decimal number such as epoch seconds with a fraction (never hexadecimal, `inf` or `nan`).
        if let d = FastNumber.double(s) { return milliseconds(fromNumber: d) }
        return nil
    }

    /// Parses `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM[:SS[.fraction]]`, and an optional
    /// zone `Z`, `±HH:MM`, `±HHMM` or `±HH`.
    static func parseISO(_ s: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        func digits(_ n: Int) -> Int64? {
            guard i + n <= s.count else { return nil }
            var v: Int64 = 0
            for k in 0..<n {
                let c = s[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < s.count, s[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(UInt8(ascii: "-")), let month = digits(2), expect(UInt8(ascii: "-")),
            let day = digits(2)
        else { return nil }
        guard month >= 1 && month <= 12, day >= 1, day <= CivilDate.daysIn(year: year, month: month) else {
            return nil
        }
        var ms = CivilDate.daysSinceEpoch(year: year, month: month, day: day) * 86_400_000
        if i == s.count { return ms }
        guard s[i] == UInt8(ascii: "T") || s[i] == UInt8(ascii: "t") || s[i] == UInt8(ascii: " ") else { return nil }
        i += 1
        guard let hour = digits(2), expect(UInt8(ascii: ":")), let minute = digits(2), hour < 24, minute < 60 else {
            return nil
        }
        ms += hour * 3_600_000 + minute * 60_000
        if expect(UInt8(ascii: ":")) {
            guard let second = digits(2), second < 61 else { return nil }
            ms += second * 1000
            if expect(UInt8(ascii: ".")) || expect(UInt8(ascii: ",")) {
                var scale: Int64 = 100
                var fraction: Int64 = 0
                var count = 0
                while i < s.count, s[i] >= 48, s[i] <= 57 {
                    if scale > 0 {
                        fraction += Int64(s[i] - 48) * scale
                        scale /= 10
                    }
                    i += 1
                    count += 1
                }
                guard count > 0 else { return nil }
                ms += fraction
            }
        }
        if i == s.count { return ms }
        if s[i] == UInt8(ascii: "Z") || s[i] == UInt8(ascii: "z") {
            return i + 1 == s.count ? ms : nil
        }
        guard s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") else { return nil }
        let sign: Int64 = s[i] == UInt8(ascii: "+") ? 1 : -1
        i += 1
        guard let zh = digits(2), zh < 24 else { return nil }
        var zm: Int64 = 0
        if i < s.count {
            _ = expect(UInt8(ascii: ":"))
            guard let m = digits(2), m < 60 else { return nil }
            zm = m
        }
        guard i == s.count else { return nil }
        return ms - sign * (zh * 3_600_000 + zm * 60_000)
    }

    /// ISO-8601 text in UTC with milliseconds, for humans (logs, docs); the API always emits integers.
    public static func iso8601(_ ms: Int64) -> String {
        let day = floorDiv(ms, 86_400_000)
        let rem = ms - day * 86_400_000
        let d = CivilDate(daysSinceEpoch: day)
        func pad(_ v: Int64, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(d.year, 4))-\(pad(d.month, 2))-\(pad(d.day, 2))T\(pad(rem / 3_600_000, 2)):"
            + "\(pad(rem / 60_000 % 60, 2)):\(pad(rem / 1000 % 60, 2)).\(pad(rem % 1000, 3))Z"
    }
}
