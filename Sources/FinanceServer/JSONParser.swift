import FinanceCore

/// A strict JSON reader (RFC 8259) of request bodies into `JSONValue`s, in one pass over the bytes.
///
/// It replaces `JSONDecoder` into a `Decodable` tree, which found each value's type by trying the types in turn
/// and threw (and built a coding path for) every wrong guess: a quarter of the server's time under a tick load.
/// Integers that fit 64 bits stay exact (`.integer`); any other number is a `Double` (infinite beyond its range,
/// which the field checks report). Object keys that repeat keep the last value. Nesting is limited to
/// `maxDepth`, so a hostile body cannot exhaust the stack.
struct JSONParser {
    /// Why a body is not JSON, and where (a byte offset).
    struct SyntaxError: Error, Equatable, CustomStringConvertible {
        var offset: Int
        var reason: String
        var description: String { "\(self.reason) at byte \(self.offset)" }
    }

    /// The deepest nesting of arrays and objects read.
    static let maxDepth = 512

    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Parses one JSON value filling the whole of `bytes` (white space around it allowed).
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(SyntaxError) -> JSONValue {
        var parser = JSONParser(bytes)
        parser.skipSpace()
        guard parser.i < bytes.count else { throw SyntaxError(offset: 0, reason: "the body is empty") }
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.i == bytes.count else { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    /// Parses the bytes of `text` (for tests and small inputs).
    static func parse(_ text: String) throws(SyntaxError) -> JSONValue {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { (buffer) throws(SyntaxError) -> JSONValue in try Self.parse(buffer) }
    }

    func error(_ reason: String) -> SyntaxError {
        SyntaxError(offset: self.i, reason: reason)
    }

    var atEnd: Bool { self.i >= self.bytes.count }

    mutating func skipSpace() {
        while self.i < self.bytes.count {
            switch self.bytes[self.i] {
            case 0x20, 0x09, 0x0A, 0x0D: self.i += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) throws(SyntaxError) -> JSONValue {
        guard !self.atEnd else { throw self.error("unexpected end of the body") }
        switch self.bytes[self.i] {
        case UInt8(ascii: "{"): return try self.object(depth: depth + 1)
        case UInt8(ascii: "["): return try self.array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try self.string())
        case UInt8(ascii: "t"):
            try self.literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try self.number()
        default: throw self.error("unexpected character \(Self.describe(self.bytes[self.i]))")
        }
    }

    private mutating func literal(_ word: StaticString) throws(SyntaxError) {
        let start = self.i
        let count = word.utf8CodeUnitCount
        guard start + count <= self.bytes.count,
            (0..<count).allSatisfy({ self.bytes[start + $0] == word.utf8Start[$0] })
        else { throw self.error("invalid literal (expected \(word))") }
        self.i += count
    }

    private mutating func object(depth: Int) throws(SyntaxError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw self.error("nesting deeper than \(Self.maxDepth) levels") }
        self.i += 1
        var object: [String: JSONValue] = [:]
        self.skipSpace()
        if !self.atEnd, self.bytes[self.i] == UInt8(ascii: "}") {
            self.i += 1
            return .object(object)
        }
        while true {
            self.skipSpace()
            guard !self.atEnd, self.bytes[self.i] == UInt8(ascii: "\"") else {
                throw self.error("expected a string key")
            }
            let key = try self.string()
            self.skipSpace()
            guard !self.atEnd, self.bytes[self.i] == UInt8(ascii: ":") else { throw self.error("expected ':'") }
            self.i += 1
            self.skipSpace()
            object[key] = try self.value(depth: depth)
            self.skipSpace()
            guard !self.atEnd else { throw self.error("unexpected end of the body (an object is not closed)") }
            switch self.bytes[self.i] {
            case UInt8(ascii: ","): self.i += 1
            case UInt8(ascii: "}"):
                self.i += 1
                return .object(object)
            default: throw self.error("expected ',' or '}'")
            }
        }
    }

    private mutating func array(depth: Int) throws(SyntaxError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw self.error("nesting deeper than \(Self.maxDepth) levels") }
        self.i += 1
        var array: [JSONValue] = []
        self.skipSpace()
        if !self.atEnd, self.bytes[self.i] == UInt8(ascii: "]") {
            self.i += 1
            return .array(array)
        }
        while true {
            self.skipSpace()
            array.append(try self.value(depth: depth))
            self.skipSpace()
            guard !self.atEnd else { throw self.error("unexpected end of the body (an array is not closed)") }
            switch self.bytes[self.i] {
            case UInt8(ascii: ","): self.i += 1
            case UInt8(ascii: "]"):
                self.i += 1
                return .array(array)
            default: throw self.error("expected ',' or ']'")
            }
        }
    }

    /// A string starting at the opening quote; its text must be valid UTF-8.
    mutating func string() throws(SyntaxError) -> String {
        self.i += 1
        let start = self.i
        // The common case: no escape, one slice.
        while self.i < self.bytes.count {
            let b = self.bytes[self.i]
            if b == UInt8(ascii: "\"") {
                let text = try self.text(UnsafeBufferPointer(rebasing: self.bytes[start..<self.i]), at: start)
                self.i += 1
                return text
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw self.error("unescaped control character in a string") }
            self.i += 1
        }
        var out = Array(self.bytes[start..<self.i])
        while true {
            guard !self.atEnd else { throw self.error("unexpected end of the body (a string is not closed)") }
            let b = self.bytes[self.i]
            switch b {
            case UInt8(ascii: "\""):
                self.i += 1
                return try out.withUnsafeBufferPointer { (buffer) throws(SyntaxError) -> String in
                    try self.text(buffer, at: start)
                }
            case UInt8(ascii: "\\"):
                try self.escape(into: &out)
            case 0..<0x20:
                throw self.error("unescaped control character in a string")
            default:
                out.append(b)
                self.i += 1
            }
        }
    }

    private func text(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) throws(SyntaxError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SyntaxError(offset: offset, reason: "a string is not valid UTF-8")
        }
        return text
    }

    /// One escape sequence starting at the backslash, appended as UTF-8.
    private mutating func escape(into out: inout [UInt8]) throws(SyntaxError) {
        self.i += 1
        guard !self.atEnd else { throw self.error("unexpected end of the body (an escape is not finished)") }
        let c = self.bytes[self.i]
        self.i += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var code = try self.hex4()
            if (0xD800...0xDBFF).contains(code) {
                guard self.i + 1 < self.bytes.count, self.bytes[self.i] == UInt8(ascii: "\\"),
                    self.bytes[self.i + 1] == UInt8(ascii: "u")
                else { throw self.error("a high surrogate escape is not followed by a low one") }
                self.i += 2
                let low = try self.hex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw self.error("a high surrogate escape is not followed by a low one")
                }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(code) {
                throw self.error("a lone low surrogate escape")
            }
            // Valid by construction: not a surrogate, at most 0x10FFFF.
            out.append(contentsOf: String(Character(Unicode.Scalar(code)!)).utf8)
        default:
            self.i -= 1
            throw self.error("invalid escape \\\(Self.describe(c))")
        }
    }

    private mutating func hex4() throws(SyntaxError) -> UInt32 {
        guard self.i + 4 <= self.bytes.count else { throw self.error("a \\u escape needs four hex digits") }
        var code: UInt32 = 0
        for _ in 0..<4 {
            let b = self.bytes[self.i]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw self.error("a \\u escape needs four hex digits")
            }
            code = code << 4 | UInt32(digit)
            self.i += 1
        }
        return code
    }

    /// A number by JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    mutating func number() throws(SyntaxError) -> JSONValue {
        let start = self.i
        var negative = false
        if self.bytes[self.i] == UInt8(ascii: "-") {
            negative = true
            self.i += 1
        }
        guard !self.atEnd, Self.isDigit(self.bytes[self.i]) else { throw self.error("a number needs digits") }
        // Integer part, accumulated exactly while it fits 64 bits.
        var magnitude: UInt64 = 0
        var fits = true
        if self.bytes[self.i] == UInt8(ascii: "0") {
            self.i += 1
            if !self.atEnd, Self.isDigit(self.bytes[self.i]) { throw self.error("a number must not start with 0") }
        } else {
            while !self.atEnd, Self.isDigit(self.bytes[self.i]) {
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(self.bytes[self.i] - 48))
                if o1 || o2 { fits = false }
                magnitude = sum
                self.i += 1
            }
        }
        var integral = true
        if !self.atEnd, self.bytes[self.i] == UInt8(ascii: ".") {
            integral = false
            self.i += 1
            guard !self.atEnd, Self.isDigit(self.bytes[self.i]) else {
                throw self.error("a number's fraction needs digits")
            }
            while !self.atEnd, Self.isDigit(self.bytes[self.i]) { self.i += 1 }
        }
        if !self.atEnd, self.bytes[self.i] == UInt8(ascii: "e") || self.bytes[self.i] == UInt8(ascii: "E") {
            integral = false
            self.i += 1
            if !self.atEnd, self.bytes[self.i] == UInt8(ascii: "+") || self.bytes[self.i] == UInt8(ascii: "-") {
                self.i += 1
            }
            guard !self.atEnd, Self.isDigit(self.bytes[self.i]) else {
                throw self.error("a number's exponent needs digits")
            }
            while !self.atEnd, Self.isDigit(self.bytes[self.i]) { self.i += 1 }
        }
        if integral, fits {
            if !negative, magnitude <= UInt64(Int64.max) { return .integer(Int64(magnitude)) }
            if negative, magnitude <= UInt64(Int64.max) + 1 {
                return .integer(Int64(truncatingIfNeeded: 0 &- magnitude))
            }
        }
        // The grammar was checked above, so FastNumber reads it (exactly; beyond a Double's range it is infinite).
        guard let d = FastNumber.double(UnsafeBufferPointer(rebasing: self.bytes[start..<self.i])) else {
            throw SyntaxError(offset: start, reason: "unreadable number")
        }
        return .number(d)
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    /// A byte for a message: the character when printable ASCII, else its hex code.
    private static func describe(_ b: UInt8) -> String {
        (0x21...0x7E).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : "0x\(String(b, radix: 16, uppercase: true))"
    }
}
