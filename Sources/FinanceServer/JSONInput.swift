import FinanceCore
import Hummingbird
import NIOCore

/// A parsed JSON value, so that ingestion can report every wrong type with its index and field (read by
/// `JSONParser`).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The JSON type's name, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .integer, .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// Reads request bodies and turns JSON items into typed values, collecting every problem.
struct JSONInput {
    /// Reads the body (at most `limit` bytes; more is 413) and parses it; unparseable JSON is 400.
    static func parse(_ request: Request, limit: Int) async throws -> JSONValue {
        try self.parse(try await self.body(request, limit: limit))
    }

    /// The whole body, at most `limit` bytes (more is 413).
    static func body(_ request: Request, limit: Int) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw Problem(
                status: .contentTooLarge,
                detail: "the request body (\(length) bytes) is larger than the limit of \(limit) bytes")
        }
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw Problem(
                status: .contentTooLarge, detail: "the request body is larger than the limit of \(limit) bytes")
        }
    }

    /// Parses a body read by `body(_:limit:)`; unparseable JSON is 400.
    static func parse(_ buffer: ByteBuffer) throws -> JSONValue {
        do {
            return try buffer.withUnsafeReadableBytes { raw throws(JSONParser.SyntaxError) -> JSONValue in
                try JSONParser.parse(raw.assumingMemoryBound(to: UInt8.self))
            }
        } catch {
            throw Problem(
                status: .badRequest, detail: "the request body is not valid JSON: \(error)",
                type: "https://financehub.dev/problems/malformed-json")
        }
    }

    /// The items of a top-level array of objects, or a 422 saying what was found instead.
    static func objects(_ value: JSONValue, maxItems: Int) throws -> [[String: JSONValue]] {
        guard case .array(let items) = value else {
            throw ValidationError(field: "", detail: "the body must be a JSON array, got \(value.typeName)")
        }
        if items.count > maxItems {
            throw ValidationError(field: "", detail: "a batch holds at most \(maxItems) items, got \(items.count)")
        }
        var issues: [ValidationIssue] = []
        var out: [[String: JSONValue]] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            if case .object(let o) = item {
                out.append(o)
            } else {
                issues.append(
                    ValidationIssue(index: i, field: "", detail: "each item must be an object, got \(item.typeName)"))
            }
        }
        if !issues.isEmpty { throw ValidationError(issues) }
        return out
    }
}

/// Typed field access on one JSON object that records a validation issue for every missing or mistyped field.
struct FieldReader {
    let object: [String: JSONValue]
    let index: Int?
    var issues: [ValidationIssue] = []

    init(_ object: [String: JSONValue], index: Int?) {
        self.object = object
        self.index = index
    }

    mutating func fail(_ field: String, _ detail: String) {
        self.issues.append(ValidationIssue(index: self.index, field: field, detail: detail))
    }

    /// A required or optional number; records an issue for a wrong type or a missing required value.
    mutating func number(_ field: String, required: Bool) -> Double? {
        switch self.object[field] {
        case .integer(let i): return Double(i)
        case .number(let d):
            if !d.isFinite { self.fail(field, "\(field) must be a finite number (within ±1.8e308)") }
            return d
        case nil, .null?:
            if required { self.fail(field, "\(field) is required") }
            return nil
        case let other?:
            self.fail(field, "\(field) must be a number, got \(other.typeName)")
            return nil
        }
    }

    /// A required time by the time rule (integer or ISO-8601 string).
    mutating func time(_ field: String) -> Int64? {
        switch self.object[field] {
        case .integer(let i): return Timestamp.milliseconds(fromInteger: i)
        case .number(let d):
            if let ms = Timestamp.milliseconds(fromNumber: d) { return ms }
            self.fail(field, "\(field) is not a valid time")
            return nil
        case .string(let s):
            if let ms = Timestamp.parse(s) { return ms }
            self.fail(field, "\(field) is not a valid time: use epoch seconds or milliseconds, or ISO-8601")
            return nil
        case nil, .null?:
            self.fail(field, "\(field) is required")
            return nil
        case let other?:
            self.fail(field, "\(field) must be a number or a string, got \(other.typeName)")
            return nil
        }
    }

    /// An optional or required string.
    mutating func string(_ field: String, required: Bool) -> String? {
        switch self.object[field] {
        case .string(let s): return s
        case nil, .null?:
            if required { self.fail(field, "\(field) is required") }
            return nil
        case let other?:
            self.fail(field, "\(field) must be a string, got \(other.typeName)")
            return nil
        }
    }

    /// The longest descriptive text (an asset's name, exchange, currency, sector, industry), in characters
    /// (Unicode scalars).
    static var maxTextLength: Int { 200 }

    /// An optional descriptive text: at most `maxTextLength` characters and no control character (U+0000–U+001F,
    /// U+007F–U+009F: a NUL cuts the stored text short, a line break or an escape garbles logs and listings).
    mutating func text(_ field: String) -> String? {
        guard let s = self.string(field, required: false) else { return nil }
        let count = s.unicodeScalars.count
        if count > Self.maxTextLength {
            self.fail(field, "\(field) must be at most \(Self.maxTextLength) characters, got \(count)")
            return nil
        }
        if let c = s.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            let code = String(c.value, radix: 16, uppercase: true)
            self.fail(
                field,
                "\(field) must not contain control characters (U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code))"
            )
            return nil
        }
        return s
    }

    /// Flags fields that are not in `known`.
    mutating func rejectUnknown(_ known: Set<String>) {
        for key in self.object.keys.sorted() where !known.contains(key) {
            self.fail(key, "unknown field \(key)")
        }
    }
}

/// The fields each kind of input object may carry.
enum InputFields {
    static let asset: Set<String> = [
        "symbol", "name", "assetClass", "exchange", "currency", "sector", "industry", "marketCap",
    ]
    static let tick: Set<String> = ["symbol", "ts", "price", "size", "bid", "ask", "bidSize", "askSize"]
    static let bar: Set<String> = ["ts", "open", "high", "low", "close", "volume"]
}
