#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Number parsing from UTF-8 bytes without allocation. Decimals with at most 15 significant digits and a
/// small exponent take Clinger's exact fast path; other decimals, of any length, fall back to `strtod` (still
/// exact). Only decimal text is a number: an optional sign, digits with an optional fraction (`5`, `5.`, `.5`) and an
/// optional exponent (`1e-3`); hexadecimal (`0x10`, `0x1p3`), `inf`, `nan` and spaces are not, as in the API's JSON.
public enum FastNumber {
    private static let powersOf10: [Double] = (0...22).map { p in
        var v = 1.0
        for _ in 0..<p { v *= 10 }
        return v
    }

    /// Parses the decimal number `text` (see the type); nil when it is not one. A number too large for a Double is
    /// infinite: callers that need a finite value check it.
    public static func double(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { self.double($0) }
    }

    /// Parses a decimal number (see the type); nil when the bytes are not one. A number too large for a Double is
    /// infinite.
    public static func double(_ s: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        let n = s.count
        guard n > 0 else { return nil }
        var negative = false
        if s[0] == UInt8(ascii: "-") || s[0] == UInt8(ascii: "+") {
            negative = s[0] == UInt8(ascii: "-")
            i = 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        var sawDigit = false
        while i < n, s[i] >= 48, s[i] <= 57 {
            sawDigit = true
            if digits < 19 {
                mantissa = mantissa * 10 + UInt64(s[i] - 48)
                if mantissa != 0 { digits += 1 }
            } else {
                scale += 1
            }
            i += 1
        }
        if i < n, s[i] == UInt8(ascii: ".") {
            i += 1
            while i < n, s[i] >= 48, s[i] <= 57 {
                sawDigit = true
                if digits < 19 {
                    mantissa = mantissa * 10 + UInt64(s[i] - 48)
                    if mantissa != 0 { digits += 1 }
                    scale -= 1
                }
                i += 1
            }
        }
        if i == n, sawDigit, digits <= 15, scale >= -22, scale <= 22 {
            var v = Double(mantissa)
            v = scale < 0 ? v / powersOf10[-scale] : v * powersOf10[scale]
            return negative ? -v : v
        }
        return slow(s)
    }

    /// True when `s` is decimal number text: `[+-]?(digits[.digits?]|.digits)([eE][+-]?digits)?`.
    public static func isDecimal(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = s.count
        func isDigit(_ k: Int) -> Bool { k < n && s[k] >= 48 && s[k] <= 57 }
        if i < n, s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+") { i += 1 }
        var digits = 0
        while isDigit(i) {
            i += 1
            digits += 1
        }
        if i < n, s[i] == UInt8(ascii: ".") {
            i += 1
            while isDigit(i) {
                i += 1
                digits += 1
            }
        }
        guard digits > 0 else { return false }
        if i < n, s[i] == UInt8(ascii: "e") || s[i] == UInt8(ascii: "E") {
            i += 1
            if i < n, s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+") { i += 1 }
            guard isDigit(i) else { return false }
            while isDigit(i) { i += 1 }
        }
        return i == n
    }

    /// `strtod` on decimal text of any length (hexadecimal, `inf` and `nan`, which it would take, are refused first).
    private static func slow(_ s: UnsafeBufferPointer<UInt8>) -> Double? {
        guard self.isDecimal(s) else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: s.count + 1) { buf in
            for k in 0..<s.count { buf[k] = CChar(bitPattern: s[k]) }
            buf[s.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let v = strtod(buf.baseAddress!, &end)
            guard let end, end == buf.baseAddress! + s.count else { return nil }
            return v
        }
    }
}
