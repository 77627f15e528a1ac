import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import XCTest

/// Builds the real application on a given store (memory by default) with the feed off; live signals go to
/// `analyticsBus`. Tokens are checked with `TestAuth`'s secret and the store holds `TestAuth.adminName`, so
/// `send` and `call` (which carry `TestAuth.adminToken`) reach every route.
public func makeApp(
    store: any MarketStore = MemoryStore(), maxBodyBytes: Int = 10 * 1024 * 1024, feed: SimulatedFeedSettings? = nil,
    analytics: LiveAnalyticsSettings = LiveAnalyticsSettings(), analyticsBus: AnalyticsBus = AnalyticsBus(),
    providers: ProviderRouter? = nil, providerSettings: ProviderSettings = ProviderSettings(),
    clock: any WallClock = SystemClock(), auth: AuthService? = nil, configure: (inout ServerSettings) -> Void = { _ in }
) async throws
    -> some ApplicationProtocol
{
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let service: AuthService
    if let auth {
        service = auth
        try await TestAuth.ensureAdmin(store, auth: auth)
    } else {
        service = try await TestAuth.service(users: store, clock: clock)
    }
    var settings = ServerSettings(
        host: "127.0.0.1", port: 0, maxBodyBytes: maxBodyBytes, simulatedFeed: feed, analytics: analytics)
    configure(&settings)
    return buildApplication(
        AppDependencies(
            storage: Storage(store),
            settings: settings,
            logger: logger, clock: clock, analyticsBus: analyticsBus, providers: providers,
            providerSettings: providerSettings, auth: service))
}

extension TestClientProtocol {
    /// Sends JSON text as `token`'s bearer (the test admin by default; nil sends no token) and returns the response.
    @discardableResult
    public func send(
        _ method: HTTPRequest.Method, _ uri: String, json: String? = nil, token: String? = TestAuth.adminToken
    ) async throws -> TestResponse {
        var headers: HTTPFields = json == nil ? [:] : [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await self.execute(
            uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    /// `execute` as the test admin: adds `Authorization: Bearer <TestAuth.adminToken>` unless `headers` already
    /// carry credentials.
    @discardableResult
    public func call(
        uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil
    ) async throws -> TestResponse {
        var headers = headers
        if headers[.authorization] == nil && headers[.apiKeyHeader] == nil {
            headers[.authorization] = "Bearer \(TestAuth.adminToken)"
        }
        return try await self.execute(uri: uri, method: method, headers: headers, body: body)
    }
}

extension TestResponse {
    /// The body as a JSON object.
    public var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: self.body)) as? [String: Any]) ?? [:]
    }

    /// The body decoded as `type` (a DTO of FinanceServer).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(buffer: self.body))
    }

    /// The body as a problem document, nil when it is not one.
    public var problem: Problem? { try? self.decode(Problem.self) }

    /// The JSON pointers of a problem's items, in order.
    public var problemPointers: [String] { self.problem?.errors?.map(\.pointer) ?? [] }

    /// The fields of a problem's items, in order.
    public var problemFields: [String] { self.problem?.errors?.map(\.field) ?? [] }

    public var text: String { String(buffer: self.body) }
}

/// A JSON array of `count` 1-minute bars starting at `start` (ms), as text.
public func barsJSON(count: Int, start: Int64, price: Double = 100) -> String {
    let items = (0..<count).map { i -> String in
        let p = price + Double(i % 7)
        return
            "{\"ts\":\(start + Int64(i) * 60_000),\"open\":\(p),\"high\":\(p + 1),\"low\":\(p - 1),\"close\":\(p + 0.5),\"volume\":\(10 + i)}"
    }
    return "[" + items.joined(separator: ",") + "]"
}
