import AsyncHTTPClient
import FinanceCore
import FinanceProviderFakes
import FinanceProviders
import Logging
import Synchronization
import XCTest

/// Every log line written through `logger`, as text (level, message, metadata and error), to check that no secret
/// is ever logged.
final class LogCapture: Sendable {
    private let captured = Mutex<[String]>([])

    var lines: [String] { self.captured.withLock { $0 } }
    var text: String { self.lines.joined(separator: "\n") }

    var logger: Logger {
        var logger = Logger(label: "test.providers") { _ in CapturingLogHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    func append(_ line: String) { self.captured.withLock { $0.append(line) } }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let error = event.error.map { " error=\($0)" } ?? ""
        self.capture.append(
            "\(event.level) \(event.message) \(self.metadata.merging(event.metadata ?? [:]) { $1 })\(error)")
    }
}

/// The endpoints a call's `beforeRequest` saw, in order.
final class BeforeRequestLog: Sendable {
    let endpoints = Mutex<[String]>([])

    func call(key: String?, failing: Bool = false) -> ProviderCall {
        ProviderCall(key: key) { endpoint in
            self.endpoints.withLock { $0.append(endpoint) }
            if failing { throw ProviderError.rateLimited(retryAfterSeconds: 60, reason: "budget spent") }
        }
    }

    var count: Int { self.endpoints.withLock { $0.count } }
}

/// A test case with a running fake server and an HTTP client, shut down after each test.
class FakeServerTestCase: XCTestCase {
    var server: FakeProviderServer!
    var client: HTTPClient!
    var logs: LogCapture!
    /// A key recognisable in any text it leaks into.
    let secret = "SECRET-KEY-0123456789abcdef"

    override func setUp() async throws {
        self.server = FakeProviderServer(seed: 7)
        try await self.server.start()
        self.client = HTTPClient(eventLoopGroupProvider: .singleton)
        self.logs = LogCapture()
    }

    override func tearDown() async throws {
        try await self.client?.shutdown()
        await self.server?.stop()
    }

    /// The kind of a provider error, without its free text: what the fault tests compare.
    static func kind(_ error: ProviderError) -> String {
        switch error {
        case .unknownSymbol: return "unknownSymbol"
        case .unsupported: return "unsupported"
        case .planRestricted: return "planRestricted"
        case .rateLimited(let seconds, _): return "rateLimited(\(seconds.map(String.init) ?? "nil"))"
        case .unauthorized: return "unauthorized"
        case .timeout: return "timeout"
        case .server(let status): return "server(\(status))"
        case .malformed: return "malformed"
        case .unavailable: return "unavailable"
        }
    }

    /// Runs `operation` once per fault (set on `route`), asserting the error kind it throws, that neither the
    /// error's description nor the captured logs contain the key, and that the key went where it belongs.
    func assertFaults(
        route: String, _ cases: [(FakeFault, String)], file: StaticString = #filePath, line: UInt = #line,
        _ operation: (ProviderCall) async throws -> Void
    ) async {
        for (fault, expected) in cases {
            self.server.setFault(fault, for: route)
            do {
                try await operation(ProviderCall(key: self.secret))
                XCTFail("\(fault): no error, expected \(expected)", file: file, line: line)
            } catch let error as ProviderError {
                XCTAssertEqual(Self.kind(error), expected, "\(fault)", file: file, line: line)
                XCTAssertFalse(
                    String(describing: error).contains(self.secret), "\(fault) leaks the key", file: file, line: line)
                XCTAssertFalse(
                    String(reflecting: error).contains(self.secret), "\(fault) leaks the key", file: file, line: line)
            } catch {
                XCTFail("\(fault): \(type(of: error)) \(error), expected a ProviderError", file: file, line: line)
            }
        }
        self.server.setFault(nil, for: route)
        XCTAssertFalse(self.logs.text.contains(self.secret), "the logs contain the key", file: file, line: line)
    }

    /// Every fault kind the fake injects, with the error kind an adapter maps it to when the provider has no
    /// special shape for it; each provider's test overrides the entries its provider answers differently.
    static func commonFaults(retryAfter: Int = 7) -> [(FakeFault, String)] {
        [
            (.neverAnswer, "timeout"),
            (.serverError, "server(500)"),
            (.rateLimited(retryAfterSeconds: retryAfter), "rateLimited(\(retryAfter))"),
            (.rateLimited(retryAfterSeconds: nil), "rateLimited(nil)"),
            (.malformedJSON, "malformed"),
            (.truncatedJSON, "malformed"),
            (.wrongTypes, "malformed"),
            (.unauthorized, "unauthorized"),
            (.planRestricted, "planRestricted"),
        ]
    }
}
