import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The providers the fake serves, each under its own path prefix (`/alphavantage`, `/coingecko`...).
public enum FakeProvider: String, Sendable, CaseIterable {
    case alphavantage
    case coingecko
    case coinmarketcap
    case polygon
    case finnhub
    case newsapi
}

/// A fault the fake injects instead of (or before) its normal answer.
public enum FakeFault: Sendable, Hashable {
    /// Waits this long, then answers normally.
    case latency(Duration)
    /// Never answers (until the server stops): the client times out.
    case neverAnswer
    /// HTTP 500 with a small JSON body.
    case serverError
    /// HTTP 429 in the provider's shape, with `Retry-After` when given.
    case rateLimited(retryAfterSeconds: Int?)
    /// The provider's quota reply inside HTTP 200 (Alpha Vantage `Information`, CoinGecko `status.error_code` 429,
    /// CoinMarketCap 1010, NewsAPI `rateLimited`); providers that only use HTTP 429 (Polygon, Finnhub) get that.
    case quotaInBody
    /// HTTP 200 with a body that is not JSON.
    case malformedJSON
    /// HTTP 200 with the normal body cut in half.
    case truncatedJSON
    /// HTTP 200 with the normal shape but a price of the wrong type.
    case wrongTypes
    /// HTTP 200 with the provider's empty answer (no quote, no bars, no articles).
    case emptyResult
    /// The provider's bad-key answer (HTTP 401, or Alpha Vantage's `Error Message` about the key in HTTP 200).
    case unauthorized
    /// The provider's plan-restricted answer (HTTP 403, CoinGecko 10005, CoinMarketCap 1006).
    case planRestricted
    /// Random failures, drawn from the server's seeded generator: HTTP 500 with probability `serverErrorRate`,
    /// never-answer with probability `timeoutRate`, else the normal answer.
    case random(serverErrorRate: Double, timeoutRate: Double)
}

/// One request the fake received.
public struct FakeRequest: Sendable, Hashable {
    public var provider: String
    /// The path below the provider's prefix (`/query`, `/simple/price`, `/v2/aggs/ticker/AAPL/prev`).
    public var path: String
    /// The raw query string (without `?`), and its decoded parameters (the last value of a repeated name).
    public var rawQuery: String
    public var query: [String: String]
    /// Header values by lower-cased name.
    public var headers: [String: String]
}

/// A local HTTP server that stands in for the upstream providers: it serves each provider's documented shapes from
/// built-in fixtures (`FakeFixtures`), records every request, and injects faults per route or globally.
///
/// Start it, point each adapter at `baseURL(for:)`, and stop it when done:
/// ```swift
/// let server = FakeProviderServer()
/// try await server.start()
/// let polygon = PolygonProvider(client: client, baseURL: server.baseURL(for: .polygon))
/// server.setFault(.rateLimited(retryAfterSeconds: 7), for: "/polygon")
/// await server.stop()
/// ```
public final class FakeProviderServer: Sendable {
    private struct State {
        var port: Int?
        var requests: [FakeRequest] = []
        var faults: [String: FakeFault] = [:]
        var globalFault: FakeFault?
        var random: SplitMix64
        var stopped = false
        var group: ServiceGroup?
        var task: Task<Void, any Error>?
    }

    private let state: Mutex<State>
    private let logger: Logger
    /// Whether Finnhub and Polygon quote any symbol (see `FakeFixtures.syntheticPrice`), for benchmarks over many
    /// symbols; otherwise only the fixtures' symbols are known.
    public let anySymbol: Bool

    /// - Parameters:
    ///   - seed: the seed of the generator `FakeFault.random` draws from.
    ///   - anySymbol: Finnhub's `/quote` and Polygon's `/prev` answer every symbol with a deterministic price.
    public init(
        seed: UInt64 = 1, anySymbol: Bool = false, logger: Logger = Logger(label: "financehub.fake-providers")
    ) {
        self.state = Mutex(State(random: SplitMix64(seed: seed)))
        self.anySymbol = anySymbol
        var logger = logger
        if logger.logLevel < .warning { logger.logLevel = .warning }
        self.logger = logger
    }

    /// The bound port (after `start`).
    public var port: Int { self.state.withLock { $0.port ?? 0 } }

    /// The base URL an adapter of `provider` is configured with (`providers.<name>.baseUrl`).
    public func baseURL(for provider: FakeProvider) -> String {
        "http://127.0.0.1:\(self.port)/\(provider.rawValue)"
    }

    /// Starts the server on 127.0.0.1 and a free port; returns the port.
    @discardableResult
    public func start() async throws -> Int {
        let router = Router()
        router.get("**") { request, _ -> Response in
            await self.respond(request)
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }, logger: self.logger)
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], logger: self.logger))
        let task = Task {
            // A server that fails to start (or stops) ends the port stream, so `start` never waits forever.
            defer { continuation.finish() }
            try await group.run()
        }
        self.state.withLock {
            $0.group = group
            $0.task = task
        }
        var port = 0
        for await p in ports { port = p }
        guard port > 0 else {
            task.cancel()
            throw FakeServerError.notStarted
        }
        self.state.withLock { $0.port = port }
        return port
    }

    /// Stops the server: pending never-answer requests are released, then the server shuts down gracefully.
    public func stop() async {
        let (group, task) = self.state.withLock { s in
            s.stopped = true
            return (s.group, s.task)
        }
        await group?.triggerGracefulShutdown()
        _ = try? await task?.value
    }

    /// Sets (or with nil clears) the fault of requests whose path (with the provider prefix, e.g. `/polygon`,
    /// `/coingecko/simple/price`) starts with `route`; the longest matching route wins. A nil `route` sets the
    /// global fault, used where no route fault matches.
    public func setFault(_ fault: FakeFault?, for route: String? = nil) {
        self.state.withLock { s in
            if let route { s.faults[route] = fault } else { s.globalFault = fault }
        }
    }

    /// Clears every fault.
    public func clearFaults() {
        self.state.withLock { s in
            s.faults = [:]
            s.globalFault = nil
        }
    }

    /// The requests received so far, optionally only those of `provider`.
    public func requests(_ provider: FakeProvider? = nil) -> [FakeRequest] {
        self.state.withLock { s in
            s.requests.filter { provider == nil || $0.provider == provider!.rawValue }
        }
    }

    /// Forgets the recorded requests.
    public func clearRequests() {
        self.state.withLock { $0.requests = [] }
    }

    // MARK: - Answering

    private func respond(_ request: Request) async -> Response {
        let fullPath = request.uri.path
        let components = fullPath.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true)
        let providerName = components.first.map(String.init) ?? ""
        let path = components.count > 1 ? "/" + components[1] : "/"
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
        let recorded = FakeRequest(
            provider: providerName, path: path, rawQuery: request.uri.query ?? "", query: query, headers: headers)
        let fault = self.state.withLock { s -> FakeFault? in
            s.requests.append(recorded)
            let route = s.faults.keys.filter { fullPath.hasPrefix($0) }.max { $0.count < $1.count }
            var fault = route.flatMap { s.faults[$0] } ?? s.globalFault
            if case .random(let serverErrorRate, let timeoutRate) = fault {
                let draw = s.random.nextDouble()
                fault =
                    draw < serverErrorRate ? .serverError : draw < serverErrorRate + timeoutRate ? .neverAnswer : nil
            }
            return fault
        }
        guard let provider = FakeProvider(rawValue: providerName) else {
            return Self.json(404, #"{"error": "no such provider"}"#)
        }
        let normal = FakeFixtures.answer(
            provider: provider, path: path, query: query, port: self.port, anySymbol: self.anySymbol)
        guard let fault else { return Self.json(normal.status, normal.body) }
        switch fault {
        case .latency(let delay):
            try? await Task.sleep(for: delay)
            return Self.json(normal.status, normal.body)
        case .neverAnswer:
            let start = ContinuousClock.now
            while !self.state.withLock({ $0.stopped }) && ContinuousClock.now - start < .seconds(60) {
                try? await Task.sleep(for: .milliseconds(20))
            }
            return Self.json(503, #"{"error": "stopped"}"#)
        case .truncatedJSON:
            return Self.json(200, String(normal.body.prefix(normal.body.count / 2)))
        case .malformedJSON:
            return Self.json(200, #"{"this is": not json,, ]"#)
        case .random:
            return Self.json(normal.status, normal.body)
        default:
            let answer = FakeFixtures.fault(
                fault, provider: provider, path: path, key: Self.key(of: provider, recorded))
            var response = Self.json(answer.status, answer.body)
            if case .rateLimited(let seconds?) = fault { response.headers[.retryAfter] = String(seconds) }
            return response
        }
    }

    /// The key a request carried (the fake echoes it in some error messages, as careless providers do, so that
    /// tests can check adapters never pass it on).
    private static func key(of provider: FakeProvider, _ request: FakeRequest) -> String {
        switch provider {
        case .alphavantage: return request.query["apikey"] ?? ""
        case .coingecko: return request.headers["x-cg-demo-api-key"] ?? ""
        case .coinmarketcap: return request.headers["x-cmc_pro_api_key"] ?? ""
        case .polygon: return request.query["apiKey"] ?? ""
        case .finnhub: return request.headers["x-finnhub-token"] ?? ""
        case .newsapi: return request.headers["x-api-key"] ?? ""
        }
    }

    private static func json(_ status: Int, _ body: String) -> Response {
        Response(
            status: .init(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

public enum FakeServerError: Error {
    case notStarted
}

/// A small seeded generator (SplitMix64), so a benchmark's random faults repeat for a seed.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func nextDouble() -> Double { Double(self.next() >> 11) / Double(UInt64(1) << 53) }
}
