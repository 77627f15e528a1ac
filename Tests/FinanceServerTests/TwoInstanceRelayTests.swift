import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceStoragePostgres
import FinanceTestSupport
import Foundation
import HummingbirdWSClient
import Logging
import Synchronization
import XCTest

@testable import FinanceCLI

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Two `financehub serve` processes on one PostgreSQL database: ticks posted to one reach WebSocket clients and the
/// quote endpoint of the other through the relay, and are stored once.
final class TwoInstanceRelayTests: XCTestCase {
    /// The `financehub` executable that `swift test` builds beside the test bundle.
    static var binary: URL? { FinanceHubBinary.url }

    /// Runs the binary with `arguments`, `stdin` on its standard input; returns its exit status.
    private static func run(_ binary: URL, _ arguments: [String], stdin: String) throws -> Int32 {
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        let input = Pipe()
        p.standardInput = input
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// One HTTP exchange with a running instance; `token` goes as `Authorization: Bearer` (every /api call of this
    /// test goes through here).
    private static func http(
        _ method: String, port: Int, _ path: String, token: String?, json: String? = nil
    ) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession(configuration: .ephemeral).data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    func testTicksPostedToOneInstanceStreamFromTheOtherAndAreStoredOnce() async throws {
        let url = try PostgresServerTests.url()
        guard let binary = Self.binary else { throw XCTSkip("financehub binary not built next to the tests") }
        XCTAssertEqual(try Self.run(binary, ["migrate", "--database", url], stdin: ""), 0)
        let password = "relay-test-password-1"
        XCTAssertEqual(
            try Self.run(
                binary,
                ["user", "add", "relay", "--role", "admin", "--tier", "pro", "--password-stdin", "--database", url],
                stdin: password + "\n"), 0)
        let (a, portA, _) = try SelfProcess.startServer(executable: binary.path, database: url, feed: "none")
        var servers = [a]
        var failure: (any Error)?
        do {
            let (b, portB, _) = try SelfProcess.startServer(executable: binary.path, database: url, feed: "none")
            servers.append(b)
            XCTAssertNotEqual(portA, portB)
            try await self.check(portA: portA, portB: portB, password: password, url: url)
        } catch {
            failure = error
        }
        for server in servers {
            server.terminate()
            server.waitUntilExit()
            XCTAssertEqual(server.terminationStatus, 0, "a clean shutdown")
        }
        let cleanup = try await PostgresStore.connect(url: url)
        try await cleanup.dropSchema()
        try await cleanup.close()
        if let failure { throw failure }
    }

    private func check(portA: Int, portB: Int, password: String, url: String) async throws {
        let login = try await Self.http(
            "POST", port: portB, "/api/auth/login", token: nil,
            json: #"{"username":"relay","password":"\#(password)"}"#)
        XCTAssertEqual(login.status, 200, String(decoding: login.body, as: UTF8.self))
        let token = try XCTUnwrap(
            (try JSONSerialization.jsonObject(with: login.body) as? [String: Any])?["access_token"] as? String)
        let ticks =
            #"[{"symbol":"RLY","ts":1717000000000,"price":67000.5,"size":0.01},"#
            + #"{"symbol":"OTHER","ts":1717000000001,"price":3500},"#
            + #"{"symbol":"RLY","ts":1717000000002,"price":67001,"bid":67000,"ask":67002}]"#
        let received = Mutex<[String]>([])
        var logger = Logger(label: "test.relay.ws")
        logger.logLevel = .critical
        try await WebSocketClient.connect(
            url: "ws://127.0.0.1:\(portB)/ws/market/RLY/price",
            configuration: .init(additionalHeaders: [.authorization: "Bearer \(token)"]), logger: logger
        ) { inbound, outbound, _ in
            // The hub registers the connection, then the ticks go to the other instance.
            try await Task.sleep(for: .milliseconds(300))
            let posted = try await Self.http("POST", port: portA, "/api/ticks", token: token, json: ticks)
            XCTAssertEqual(posted.status, 201, String(decoding: posted.body, as: UTF8.self))
            let deadline = ContinuousClock.now + .seconds(10)
            for try await message in inbound.messages(maxSize: 1 << 16) {
                if case .text(let text) = message { received.withLock { $0.append(text) } }
                if received.withLock({ $0.count }) >= 2 || ContinuousClock.now > deadline { break }
            }
            try await outbound.close(.normalClosure, reason: nil)
        }
        XCTAssertEqual(
            received.withLock { $0 },
            [
                #"{"type":"price","symbol":"RLY","price":67000.5,"size":0.01,"ts":1717000000000}"#,
                #"{"type":"price","symbol":"RLY","price":67001,"bid":67000,"ask":67002,"ts":1717000000002}"#,
            ])
        let quote = try await Self.http("GET", port: portB, "/api/quotes/RLY", token: token)
        XCTAssertEqual(quote.status, 200)
        let dto = try JSONDecoder().decode(QuoteDTO.self, from: quote.body)
        XCTAssertEqual(dto.price, 67001)
        XCTAssertEqual(dto.bid, 67000)
        // B received the ticks and the minute bars through the relay (two symbols: 3 ticks + 2 bars) and A nothing.
        let metricsB = String(
            decoding: try await Self.http("GET", port: portB, "/metrics", token: token).body, as: UTF8.self)
        XCTAssertTrue(metricsB.contains("financehub_relay_received_messages_total 5"), metricsB)
        let metricsA = String(
            decoding: try await Self.http("GET", port: portA, "/metrics", token: token).body, as: UTF8.self)
        XCTAssertTrue(metricsA.contains("financehub_relay_sent_messages_total 5"), metricsA)
        XCTAssertFalse(metricsA.contains("financehub_relay_received_messages_total"), "A receives nothing")
        // Stored once, by A.
        let store = try await PostgresStore.connect(url: url)
        let stored = try await store.ticks(symbol: "RLY", from: nil, to: nil, limit: 100)
        try await store.close()
        XCTAssertEqual(stored.map(\.price), [67000.5, 67001])
    }
}
