import AsyncHTTPClient
import FinanceCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// The HTTP plumbing every REST adapter shares: a GET with a per-request timeout (headers and body together), the
/// key in a header or the query, the common status mapping and JSON decoding into `ProviderError`s.
///
/// Secrets: the key only ever goes into the request. Log lines name the provider, the endpoint and the status,
/// never the URL; errors carry fixed texts or provider messages with the key cut out (`redacted`).
public struct ProviderHTTP: Sendable {
    /// Where an adapter puts its key.
    public enum KeyPlacement: Sendable {
        case header(String)
        case query(String)
    }

    /// A response read to its end.
    public struct Response: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: Data

        /// The `Retry-After` header in whole seconds (the delay form; an HTTP date is not used by these providers).
        public var retryAfterSeconds: Int? {
            self.headers.first(name: "Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        }
    }

    public let client: HTTPClient
    public let provider: String
    public let baseURL: String
    public let timeoutSeconds: Double
    public let keyPlacement: KeyPlacement
    public let logger: Logger
    /// The largest body read (a bigger one is `malformed`).
    public var maxBodyBytes = 32 * 1024 * 1024

    public init(
        client: HTTPClient, provider: String, baseURL: String, timeoutSeconds: Double, keyPlacement: KeyPlacement,
        logger: Logger
    ) {
        self.client = client
        self.provider = provider
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeoutSeconds = timeoutSeconds
        self.keyPlacement = keyPlacement
        self.logger = logger
    }

    /// GETs `path` (appended to the base URL) with `query` and the call's key, after awaiting the call's
    /// `beforeRequest(endpoint)`. Only transport failures throw here (`timeout`, `unavailable`); the status is the
    /// caller's to read (see `checkStatus`), since some providers put their error codes in the body.
    public func get(
        _ path: String, query: [(String, String)] = [], endpoint: String, call: ProviderCall
    ) async throws -> Response {
        try await self.get(url: self.baseURL + path, query: query, endpoint: endpoint, call: call)
    }

    /// GETs an absolute `url` (which must not carry the key already) with `query` and the call's key appended.
    public func get(
        url: String, query: [(String, String)] = [], endpoint: String, call: ProviderCall
    ) async throws -> Response {
        try await call.beforeRequest(endpoint)
        var query = query
        var headers: [(String, String)] = [("Accept", "application/json")]
        if let key = call.key {
            switch self.keyPlacement {
            case .header(let name): headers.append((name, key))
            case .query(let name): query.append((name, key))
            }
        }
        var built = HTTPClientRequest(url: url + Self.encode(query, after: url))
        built.method = .GET
        for (name, value) in headers { built.headers.add(name: name, value: value) }
        let request = built

        let started = ContinuousClock.now
        // The head is bounded by AsyncHTTPClient's deadline (which reports why it failed, e.g. a refused
        // connection); the whole exchange, body included, by this slightly later one.
        let timeout = Duration.milliseconds(Int64(self.timeoutSeconds * 1000) + 50)
        let maxBodyBytes = self.maxBodyBytes
        do {
            let response = try await Self.withTimeout(timeout) { [client] in
                let response = try await client.execute(
                    request, deadline: .now() + .milliseconds(Int64(self.timeoutSeconds * 1000)))
                let body = try await response.body.collect(upTo: maxBodyBytes)
                return Response(
                    status: Int(response.status.code), headers: response.headers, body: Data(body.readableBytesView))
            }
            self.logger.debug(
                "provider request",
                metadata: [
                    "provider": "\(self.provider)", "endpoint": "\(endpoint)", "status": "\(response.status)",
                    "ms": "\(Self.milliseconds(since: started))",
                ])
            return response
        } catch let error as ProviderError {
            self.logFailure(endpoint: endpoint, error: error)
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // A cancelled call (the caller gave up) is not the provider's failure.
            if Task.isCancelled { throw CancellationError() }
            let mapped = Self.transportError(error)
            // The cause's type and code only: an error's description may contain the URL.
            self.logFailure(endpoint: endpoint, error: mapped, cause: Self.cause(error))
            throw mapped
        }
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    private func logFailure(endpoint: String, error: ProviderError, cause: String? = nil) {
        var metadata: Logger.Metadata = [
            "provider": "\(self.provider)", "endpoint": "\(endpoint)", "error": "\(error)",
        ]
        if let cause { metadata["cause"] = "\(cause)" }
        self.logger.debug("provider request failed", metadata: metadata)
    }

    /// An error's type, and its code for an HTTP client error (never its description).
    static func cause(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "HTTPClientError.\(error.shortDescription)" }
        return String(reflecting: type(of: error))
    }

    /// Maps a transport error to `timeout` or `unavailable`, with a fixed text (an error's own description may name
    /// the URL, and so the key).
    static func transportError(_ error: any Error) -> ProviderError {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .getConnectionFromPoolTimeout,
                .tlsHandshakeTimeout:
                return .timeout
            case .bodyLengthMismatch:
                return .malformed("the body is shorter than announced")
            case .remoteConnectionClosed:
                return .unavailable("the connection was closed")
            default:
                return .unavailable("HTTP client error")
            }
        }
        if error is NIOTooManyBytesError { return .malformed("the body is too big") }
        if let error = error as? IOError { return .unavailable("I/O error \(error.errnoCode)") }
        if error is ChannelError { return .unavailable("connection error") }
        return .unavailable("request failed")
    }

    /// Runs `operation`, throwing `ProviderError.timeout` when it takes longer than `timeout` (it is cancelled).
    static func withTimeout<T: Sendable>(
        _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw ProviderError.timeout }
            guard let value = first else { throw ProviderError.timeout }
            return value
        }
    }

    /// `?a=b&c=d` (or `&...` when `url` already has a query), percent-encoded.
    static func encode(_ query: [(String, String)], after url: String) -> String {
        guard !query.isEmpty else { return "" }
        let pairs = query.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        return (url.contains("?") ? "&" : "?") + pairs
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Percent-encodes a query component or a path segment.
    public static func escape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? s
    }

    /// The common status mapping for a non-2xx answer: 429 → rateLimited (Retry-After), 401 → unauthorized,
    /// 403 → planRestricted (unauthorized when the body says the key is bad), 404 → `notFound`, 5xx → server,
    /// anything else non-2xx → unavailable. Returns normally for 2xx.
    public func checkStatus(_ response: Response, notFound: ProviderError? = nil) throws {
        switch response.status {
        case 200..<300: return
        case 429: throw ProviderError.rateLimited(retryAfterSeconds: response.retryAfterSeconds, reason: "HTTP 429")
        case 401: throw ProviderError.unauthorized("HTTP 401")
        case 403:
            if Self.saysBadKey(response.body) { throw ProviderError.unauthorized("HTTP 403: the key is not valid") }
            throw ProviderError.planRestricted("HTTP 403")
        case 404: throw notFound ?? ProviderError.unavailable("HTTP 404")
        case 500..<600: throw ProviderError.server(status: response.status)
        default: throw ProviderError.unavailable("HTTP \(response.status)")
        }
    }

    /// True when an error body says the key (rather than the plan) is the problem.
    static func saysBadKey(_ body: Data) -> Bool {
        let text = String(decoding: body.prefix(4096), as: UTF8.self).lowercased()
        return ["unknown api key", "invalid api key", "api key is invalid", "invalid key", "apikeyinvalid"].contains {
            text.contains($0)
        }
    }

    /// Decodes `T` from a body, any failure (malformed, truncated, wrong types, missing fields) being `malformed`.
    public func decode<T: Decodable>(_ type: T.Type, from response: Response, endpoint: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch let error as DecodingError {
            throw ProviderError.malformed("\(self.provider) \(endpoint): \(Self.describe(error))")
        } catch {
            throw ProviderError.malformed("\(self.provider) \(endpoint): not JSON")
        }
    }

    /// A short description of a decoding error: what went wrong and where (coding path only, never values).
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(_, let c): return "wrong type at \(path(c))"
        case .valueNotFound(_, let c): return "missing value at \(path(c))"
        case .keyNotFound(let key, let c):
            return "missing field \(([path(c)] + [key.stringValue]).filter { !$0.isEmpty }.joined(separator: "."))"
        case .dataCorrupted(let c): return c.codingPath.isEmpty ? "not valid JSON" : "bad value at \(path(c))"
        @unknown default: return "unreadable"
        }
    }

    /// `text` with every occurrence of `key` replaced, cut to 200 characters: provider messages may echo the key.
    public static func redacted(_ text: String, key: String?) -> String {
        var text = text
        if let key, !key.isEmpty { text = text.replacingOccurrences(of: key, with: "<key>") }
        if text.count > 200 { text = String(text.prefix(200)) + "…" }
        return text
    }
}

/// A number a provider may send as a JSON number or as a numeric string (Alpha Vantage sends only strings).
public struct FlexibleDouble: Decodable, Sendable, Hashable {
    public var value: Double

    public init(_ value: Double) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Double.self) {
            self.value = value
            return
        }
        let text = try container.decode(String.self).trimmingCharacters(in: .whitespaces)
        let number = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let value = Double(number) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a number")
        }
        self.value = value
    }
}

/// Value checks shared by the adapters: a price must be finite and positive, a volume finite and not negative.
enum Check {
    static func price(_ value: Double, _ what: String) throws -> Double {
        guard value.isFinite, value > 0 else { throw ProviderError.malformed("\(what) is not a positive price") }
        return value
    }

    static func volume(_ value: Double, _ what: String) throws -> Double {
        guard value.isFinite, value >= 0 else { throw ProviderError.malformed("\(what) is not a volume") }
        return value
    }

    static func finite(_ value: Double?, _ what: String) throws -> Double? {
        guard let value else { return nil }
        guard value.isFinite else { throw ProviderError.malformed("\(what) is not finite") }
        return value
    }

    static func bar(_ bar: Bar, _ what: String) throws -> Bar {
        _ = try Check.price(bar.open, what + " open")
        _ = try Check.price(bar.high, what + " high")
        _ = try Check.price(bar.low, what + " low")
        _ = try Check.price(bar.close, what + " close")
        _ = try Check.volume(bar.volume, what + " volume")
        return bar
    }
}
