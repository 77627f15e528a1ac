import FinanceApp
import FinanceCore
import FinanceStorage
import Foundation
import Hummingbird

/// Small helpers shared by controllers.
enum HTTP {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// A JSON response written directly (the hot routes' DTOs; the same bytes as `encoder`).
    static func json(_ value: some JSONOutputWritable, status: HTTPResponse.Status = .ok) throws -> Response {
        var json = JSONOutput()
        try value.write(to: &json)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: json.bytes)))
    }

    /// A JSON response.
    @_disfavoredOverload
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try self.encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The canonical symbol of a path parameter, or a 422 naming `symbol`.
    static func symbol(_ context: some RequestContext, _ name: String = "symbol") throws -> String {
        let raw = context.parameters.get(name) ?? ""
        let decoded = raw.removingPercentEncoding ?? raw
        guard let symbol = Symbol.normalize(decoded) else {
            throw ValidationError(field: "symbol", detail: Self.invalidSymbol(decoded))
        }
        return symbol
    }

    /// The problem detail of a symbol that breaks the symbol rule.
    static func invalidSymbol(_ raw: String) -> String { "invalid symbol '\(Echo.text(raw))': \(Symbol.rule)" }

    /// Query parameter readers that collect every problem.
    struct Query {
        let parameters: [String: String]
        var issues: [ValidationIssue] = []

        init(_ request: Request) {
            var p: [String: String] = [:]
            for (k, v) in request.uri.queryParameters { p[String(k)] = String(v) }
            self.parameters = p
        }

        func raw(_ name: String) -> String? { self.parameters[name] }

        /// The canonical symbol of an optional query parameter (nil when absent or invalid; invalid is a problem).
        mutating func symbol(_ name: String = "symbol") -> String? {
            guard let raw = self.parameters[name] else { return nil }
            guard let symbol = Symbol.normalize(raw) else {
                self.issues.append(ValidationIssue(index: nil, field: name, detail: HTTP.invalidSymbol(raw)))
                return nil
            }
            return symbol
        }

        mutating func time(_ name: String) -> Int64? {
            guard let raw = self.parameters[name] else { return nil }
            guard let ms = Timestamp.parse(raw) else {
                self.issues.append(
                    ValidationIssue(
                        index: nil, field: name,
                        detail: "\(name) is not a valid time: use epoch seconds or milliseconds, or ISO-8601"))
                return nil
            }
            return ms
        }

        mutating func interval(_ name: String = "interval", default value: Interval) -> Interval {
            guard let raw = self.parameters[name] else { return value }
            guard let interval = Interval(raw) else {
                let names = Interval.all.map(\.name).joined(separator: ", ")
                self.issues.append(
                    ValidationIssue(
                        index: nil, field: name, detail: "unknown interval '\(Echo.text(raw))': use one of \(names)"))
                return value
            }
            return interval
        }

        /// The bar window every bars-based query takes: `interval` (default `defaultInterval`), `from`, `to` and
        /// `limit` (default 5,000, at most 100,000). A `from` after `to` is a problem naming `from`.
        mutating func barWindow(defaultInterval: Interval) -> (interval: Interval, from: Int64?, to: Int64?, limit: Int)
        {
            let interval = self.interval(default: defaultInterval)
            let from = self.time("from")
            let to = self.time("to")
            if let from, let to, from > to {
                self.issues.append(
                    ValidationIssue(
                        index: nil, field: "from",
                        detail: "from (\(Timestamp.iso8601(from))) is after to (\(Timestamp.iso8601(to)))"))
            }
            let limit = self.integer(
                "limit", default: BarQueryService.defaultLimit, range: 1...BarQueryService.maxLimit)
            return (interval, from, to, limit)
        }

        mutating func integer(_ name: String, default value: Int, range: ClosedRange<Int>) -> Int {
            guard let raw = self.parameters[name] else { return value }
            guard let v = Int(raw), range.contains(v) else {
                self.issues.append(
                    ValidationIssue(
                        index: nil, field: name,
                        detail: "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)"))
                return value
            }
            return v
        }

        /// `historical=true` marks a pushed batch as history (stored, never analysed or streamed); default live.
        mutating func freshness() -> EventFreshness {
            self.choice("historical", ["true", "false"], default: "false") == "true" ? .historical : .live
        }

        mutating func choice(_ name: String, _ allowed: [String], default value: String) -> String {
            guard let raw = self.parameters[name] else { return value }
            guard allowed.contains(raw) else {
                self.issues.append(
                    ValidationIssue(
                        index: nil, field: name, detail: "\(name) must be one of \(allowed.joined(separator: ", "))"))
                return value
            }
            return raw
        }

        /// Throws every collected problem as one 422.
        func check() throws {
            if !self.issues.isEmpty { throw ValidationError(self.issues) }
        }
    }
}
