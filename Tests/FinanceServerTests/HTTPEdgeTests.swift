import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import Synchronization
import XCTest

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The real application with the edge's settings `edge`, on `store`, with the feed and live analytics off.
func edgeApp(_ edge: HTTPEdgeSettings, store: MemoryStore = MemoryStore(), auth: AuthService? = nil) async throws
    -> some ApplicationProtocol
{
    var logger = Logger(label: "test.edge")
    logger.logLevel = .warning
    var settings = ServerSettings(
        host: "127.0.0.1", port: 0, simulatedFeed: nil, analytics: LiveAnalyticsSettings(intervals: []))
    settings.edge = edge
    var service = auth
    if service == nil { service = try await TestAuth.service(users: store) }
    return buildApplication(
        AppDependencies(storage: Storage(store), settings: settings, logger: logger, auth: service!))
}

/// What the edge tests send to `/api` beyond the request: the test admin's token. `rawHeaderLines` goes into raw
/// requests, each line ending in CRLF.
enum EdgeTestAPI {
    static let headers: HTTPFields = [.authorization: "Bearer \(TestAuth.adminToken)"]
    static let rawHeaderLines = "Authorization: Bearer \(TestAuth.adminToken)\r\n"
}

/// Edge settings with short timeouts for tests.
func edgeSettings(header: Int = 10, idle: Int = 60, maxConnections: Int = 10_000) -> HTTPEdgeSettings {
    var edge = HTTPEdgeSettings()
    edge.headerTimeoutSeconds = header
    edge.idleTimeoutSeconds = idle
    edge.maxConnections = maxConnections
    return edge
}

/// The HTTP edge on a live server, seen from raw sockets: header-read and idle timeouts, the connection cap, and
/// request heads over the decoder's limits.
final class HTTPEdgeTests: XCTestCase {
    /// Sends `text` (nothing when empty) on a new connection, then reads until the server closes; with the seconds
    /// that took.
    static func exchange(port: Int, _ text: String, timeout: Int = 15) async -> (
        response: String, closed: Bool, seconds: Double
    ) {
        await onThread {
            let start = ContinuousClock.now
            guard let connection = try? RawConnection(port: port, timeout: timeout) else { return ("", false, 0) }
            if !text.isEmpty, !connection.send(text) { return ("send failed", false, 0) }
            let (response, closed) = connection.receiveAll()
            let elapsed = ContinuousClock.now - start
            return (
                response, closed, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            )
        }
    }

    func testAPartialRequestHeadIsAnswered408AfterTheHeaderTimeout() async throws {
        try await edgeApp(edgeSettings(header: 1)).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            // Before: such a connection was still open after 200 s.
            let partial = await Self.exchange(port: port, "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1")
            XCTAssertTrue(partial.response.hasPrefix("HTTP/1.1 408 "), partial.response)
            XCTAssertTrue(partial.response.contains("application/problem+json"), partial.response)
            XCTAssertTrue(partial.response.contains("http.headerTimeoutSeconds"), partial.response)
            XCTAssertTrue(partial.response.lowercased().contains("connection: close"), partial.response)
            XCTAssertTrue(partial.closed)
            XCTAssertGreaterThan(partial.seconds, 0.9)
            XCTAssertLessThan(partial.seconds, 5)
            // A connection that sends nothing is closed without an answer.
            let silent = await Self.exchange(port: port, "")
            XCTAssertEqual(silent.response, "")
            XCTAssertTrue(silent.closed)
            XCTAssertLessThan(silent.seconds, 5)
            // A whole request is answered as before.
            let whole = await Self.exchange(port: port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            XCTAssertTrue(whole.response.hasPrefix("HTTP/1.1 200 "), whole.response)
        }
    }

    func testAHeadSentSlowlyPastTheHeaderTimeoutIs408() async throws {
        try await edgeApp(edgeSettings(header: 2)).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            // A byte every 300 ms keeps the connection busy but the head never completes in time.
            let result = await onThread { () -> (String, Bool) in
                guard let connection = try? RawConnection(port: port) else { return ("", false) }
                for byte in Array("GET /health HTTP/1.1\r\nHost: localhost\r\n".utf8) {
                    guard connection.send([byte]) else { break }
                    Thread.sleep(forTimeInterval: 0.3)
                }
                return connection.receiveAll()
            }
            XCTAssertTrue(result.0.contains("HTTP/1.1 408 "), result.0)
            XCTAssertTrue(result.1)
        }
    }

    func testAnIdleKeptAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await edgeApp(edgeSettings(header: 1, idle: 3)).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let result = await onThread { () -> (String, Bool, Double) in
                guard let connection = try? RawConnection(port: port) else { return ("", false, 0) }
                let request = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
                // Requests within the idle timeout keep it open (each pause passes the header timeout).
                for _ in 0..<2 {
                    guard connection.send(request) else { return ("send failed", false, 0) }
                    Thread.sleep(forTimeInterval: 1.5)
                }
                let start = ContinuousClock.now
                let (text, closed) = connection.receiveAll()
                let seconds = Double((ContinuousClock.now - start).components.seconds)
                return (text, closed, seconds)
            }
            let responses = result.0.components(separatedBy: "HTTP/1.1 200 ").count - 1
            XCTAssertEqual(responses, 2, result.0)
            XCTAssertTrue(result.1, "closed after the idle timeout")
            // 3 s after the last response: about 1.5 s after the reads started.
            XCTAssertLessThan(result.2, 4)
        }
    }

    func testARequestBodyThatStopsArrivingIsClosedAfterTheIdleTimeout() async throws {
        try await edgeApp(edgeSettings(header: 1, idle: 2)).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let head = "POST /api/ticks HTTP/1.1\r\nHost: x\r\n\(EdgeTestAPI.rawHeaderLines)Content-Length: 100\r\n\r\n"
            let result = await Self.exchange(port: port, head + "[{\"symbol\"")
            XCTAssertTrue(result.closed)
            XCTAssertGreaterThan(result.seconds, 1.8)
            XCTAssertLessThan(result.seconds, 6)
        }
    }

    func testAWebSocketOutlivesTheHTTPTimeouts() async throws {
        let store = MemoryStore()
        let auth = try await TestAuth.service(users: store)
        try await store.createUser(
            User(name: "alice", passwordHash: auth.hashPassword("pw-alice"), role: .user, tier: .free, createdAt: 0))
        let token = try await auth.login(user: "alice", password: "pw-alice").accessToken
        try await edgeApp(edgeSettings(header: 1, idle: 1), store: store, auth: auth).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let received = Mutex<[String]>([])
            var logger = Logger(label: "test.ws")
            logger.logLevel = .critical
            try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)/ws/market/btc/price",
                configuration: .init(additionalHeaders: [.authorization: "Bearer \(token)"]), logger: logger
            ) { inbound, outbound, _ in
                // Silent for three times the idle timeout, then a tick (on a connection of its own).
                try await Task.sleep(for: .seconds(3))
                let tick = #"[{"symbol":"BTC","ts":1717000000000,"price":67000.5}]"#
                let posted = await Self.exchange(
                    port: port,
                    "POST /api/ticks HTTP/1.1\r\nHost: x\r\n\(EdgeTestAPI.rawHeaderLines)Content-Type: application/json\r\nContent-Length: \(tick.utf8.count)\r\nConnection: close\r\n\r\n\(tick)"
                )
                XCTAssertTrue(posted.response.hasPrefix("HTTP/1.1 201 "), posted.response)
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    if case .text(let text) = message { received.withLock { $0.append(text) } }
                    break
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
            XCTAssertEqual(received.withLock { $0.count }, 1, "the WebSocket was closed by an HTTP timeout")
        }
    }

    func testConnectionsOverTheCapAreAnswered503AndTheOthersKeepWorking() async throws {
        try await edgeApp(edgeSettings(header: 1, maxConnections: 3)).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            // The test client's own connection, if it opened one, says nothing and goes after the header timeout.
            try await Task.sleep(for: .milliseconds(1_500))
            let result = await onThread { () -> [String] in
                let request = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
                var buffer = [UInt8](repeating: 0, count: 4096)
                // One whole response (its body is a JSON object).
                func answer(_ c: RawConnection) -> String {
                    var text = ""
                    while !text.hasSuffix("}") {
                        let n = buffer.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress!, $0.count, 0) }
                        guard n > 0 else { return text + "(closed)" }
                        text += String(decoding: buffer[0..<n], as: UTF8.self)
                    }
                    return text
                }
                // Three kept-alive connections, each answered in turn (so they are counted in this order).
                var held: [RawConnection] = []
                var texts: [String] = []
                for _ in 0..<3 {
                    guard let c = try? RawConnection(port: port), c.send(request) else { return ["connect"] }
                    texts.append(answer(c))
                    held.append(c)
                }
                guard let over = try? RawConnection(port: port), over.send(request) else { return ["over"] }
                texts.insert(over.receiveAll().text, at: 0)
                // The held connections still serve (within the idle timeout, so their header timer never runs out).
                for c in held {
                    guard c.send(request) else { return texts + ["held"] }
                    texts.append(answer(c))
                }
                // Once some close, a new connection is served.
                held.removeAll()
                Thread.sleep(forTimeInterval: 0.5)
                guard let after = try? RawConnection(port: port),
                    after.send(request + "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                else { return texts + ["after"] }
                texts.append(after.receiveAll().text)
                return texts
            }
            XCTAssertEqual(result.count, 8, "\(result)")
            guard result.count == 8 else { return }
            XCTAssertTrue(result[0].hasPrefix("HTTP/1.1 503 "), result[0])
            XCTAssertTrue(result[0].contains("application/problem+json"), result[0])
            XCTAssertTrue(result[0].lowercased().contains("retry-after: 1"), result[0])
            XCTAssertTrue(result[0].contains("http.maxConnections"), result[0])
            for text in result[1...] { XCTAssertTrue(text.hasPrefix("HTTP/1.1 200 "), text) }
        }
    }

    func testHeadsOverTheLimitAre414And431ProblemDocuments() async throws {
        try await edgeApp(edgeSettings()).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let longPath = "/api/quotes/" + String(repeating: "A", count: 90_000)
            let bigHeader = "X-Big: " + String(repeating: "b", count: 1_000_000)
            for (request, status) in [
                ("GET \(longPath) HTTP/1.1\r\nHost: localhost\r\n\r\n", "414"),
                ("GET /health HTTP/1.1\r\nHost: localhost\r\n\(bigHeader)\r\n\r\n", "431"),
                (
                    "GET /health?\(String(repeating: "q", count: 70_000)) HTTP/1.1\r\nHost: x\r\n\(String(repeating: "Y-A: 1\r\n", count: 2_000))\r\n",
                    "431"
                ),
                ("HELLO\r\n\r\n", "400"),
            ] {
                // The whole request is sent before reading, as a client does: the answer must survive it.
                let result = await Self.exchange(port: port, request)
                XCTAssertTrue(
                    result.response.hasPrefix("HTTP/1.1 \(status) "), "\(status): \(result.response.prefix(300))")
                XCTAssertTrue(result.response.contains("application/problem+json"), result.response)
                XCTAssertTrue(result.response.contains("\"status\":\(status)"), result.response)
                XCTAssertTrue(result.closed)
            }
            let after = await Self.exchange(port: port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            XCTAssertTrue(after.response.hasPrefix("HTTP/1.1 200 "), after.response)
        }
    }

    func testTheFileDescriptorLimitIsRaisedToFit() throws {
        var logger = Logger(label: "test.fd")
        logger.logLevel = .critical
        let before = try XCTUnwrap(FileDescriptorLimit.current())
        let wanted = min(before.hard, before.soft + 16)
        let got = FileDescriptorLimit.raise(toFit: wanted, logger: logger)
        XCTAssertEqual(got, max(before.soft, wanted))
        XCTAssertEqual(FileDescriptorLimit.current()?.soft, max(before.soft, wanted))
        // Never lowered, never above the hard limit.
        XCTAssertEqual(FileDescriptorLimit.raise(toFit: 1, logger: logger), max(before.soft, wanted))
        XCTAssertLessThanOrEqual(FileDescriptorLimit.raise(toFit: Int.max, logger: logger) ?? 0, before.hard)
    }
}
