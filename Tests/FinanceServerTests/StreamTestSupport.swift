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
import NIOWebSocket
import Synchronization
import XCTest

/// A server with WebSocket settings of the test's choosing and three users: alice (user, free), bob (user, pro),
/// root (admin, enterprise), each with an access token.
struct StreamFixture {
    let app: any ApplicationProtocol
    let dependencies: AppDependencies
    let auth: AuthService
    /// A second issuer on the same key and users whose tokens live 15 minutes (for `refresh`).
    let longAuth: AuthService
    let tokens: [String: String]

    static let secret = "a-test-secret-of-at-least-32-bytes-long"

    static func make(
        session: StreamSessionSettings = StreamSessionSettings(), maxMessageBytes: Int = 65_536,
        accessTokenSeconds: Int = 900, queue: StreamQueueSettings = StreamQueueSettings(),
        relay: any InstanceRelay = InProcessRelay(), store: MemoryStore = MemoryStore(),
        configure: (inout ServerSettings) -> Void = { _ in }
    ) async throws -> StreamFixture {
        let clock = SystemClock()
        let auth = try await AuthService.make(
            settings: AuthSettings(jwtSecret: Self.secret, accessTokenSeconds: accessTokenSeconds, bcryptCost: 4),
            users: store, clock: clock)
        let longAuth = try await AuthService.make(
            settings: AuthSettings(jwtSecret: Self.secret, accessTokenSeconds: 900, bcryptCost: 4), users: store,
            clock: clock)
        var tokens: [String: String] = [:]
        for (name, role, tier) in [
            ("alice", UserRole.user, UserTier.free), ("bob", .user, .pro), ("root", .admin, .enterprise),
        ] {
            // A store shared with another fixture (a second instance) holds the users already.
            if (try? await store.user(named: name)) == nil {
                try await store.createUser(
                    User(
                        name: name, passwordHash: auth.hashPassword("pw-\(name)"), role: role, tier: tier, createdAt: 0
                    ))
            }
            tokens[name] = try await auth.login(user: name, password: "pw-\(name)").accessToken
        }
        var settings = ServerSettings(
            host: "127.0.0.1", port: 0, simulatedFeed: nil, analytics: LiveAnalyticsSettings(intervals: []))
        settings.wsSession = session
        settings.wsMaxMessageBytes = maxMessageBytes
        settings.wsQueue = queue
        configure(&settings)
        var logger = Logger(label: "test.ws")
        logger.logLevel = .critical
        let dependencies = AppDependencies(
            storage: Storage(store), settings: settings, logger: logger, clock: clock, auth: auth, relay: relay)
        return StreamFixture(
            app: buildApplication(dependencies), dependencies: dependencies, auth: auth, longAuth: longAuth,
            tokens: tokens)
    }

    var hub: StreamHub { self.dependencies.streamHub }

    /// Ingests live ticks through the one ingestion path (store, then the market bus).
    func ingest(_ ticks: [Tick]) async throws {
        _ = try await self.dependencies.ingestor.ingest(ticks: ticks)
    }

    /// `Authorization: Bearer` with `user`'s token.
    func bearer(_ user: String) -> HTTPFields { [.authorization: "Bearer \(self.tokens[user]!)"] }

    /// The headers of a WebSocket upgrade request (for refusals checked with a plain HTTP client).
    static let upgradeHeaders: HTTPFields = [
        .connection: "Upgrade", .upgrade: "websocket", .secWebSocketVersion: "13",
        .secWebSocketKey: "dGhlIHNhbXBsZSBub25jZQ==",
    ]
}

/// One client's side of a WebSocket: what it received (JSON objects, in order) and its outbound writer.
final class WSConversation: Sendable {
    let outbound: WebSocketOutboundWriter
    private let received = Mutex<[String]>([])
    private let cursor = Mutex(0)
    private let ended = Atomic<Bool>(false)

    init(outbound: WebSocketOutboundWriter) {
        self.outbound = outbound
    }

    func append(_ text: String) { self.received.withLock { $0.append(text) } }
    func end() { self.ended.store(true, ordering: .relaxed) }
    var isEnded: Bool { self.ended.load(ordering: .relaxed) }

    /// Every text message received so far.
    var texts: [String] { self.received.withLock { $0 } }

    func send(_ text: String) async throws { try await self.outbound.write(.text(text)) }

    /// Waits for the handshake's sign-in, subscribes to the `alerts` channel and waits for the confirmation.
    func subscribeToAlerts() async throws {
        _ = try await self.next("authenticated")
        try await self.send(#"{"action":"subscribe","channels":["alerts"]}"#)
        _ = try await self.next("subscribed")
    }

    /// The next message of `type` (skipping others) that `matches`, or nil after `timeout` or once the
    /// connection ended with nothing more.
    func next(
        _ type: String, timeout: Duration = .seconds(3), matches: ([String: Any]) -> Bool = { _ in true }
    ) async throws -> [String: Any]? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (texts, start) = (self.received.withLock { $0 }, self.cursor.withLock { $0 })
            for i in start..<texts.count {
                self.cursor.withLock { $0 = i + 1 }
                guard let object = Self.object(texts[i]) else { continue }
                if object["type"] as? String == type, matches(object) { return object }
            }
            if ContinuousClock.now > deadline || (self.isEnded && self.texts.count == texts.count) { return nil }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The messages of `type` received so far (from the start).
    func all(_ type: String) -> [[String: Any]] {
        self.texts.compactMap(Self.object).filter { $0["type"] as? String == type }
    }

    static func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    /// Opens a client on `path`, runs `body`, then closes (unless the server did) and returns the server's close
    /// code (nil when the client closed).
    @discardableResult
    static func run(
        port: Int, path: String = "/ws", headers: HTTPFields = [:],
        _ body: @escaping @Sendable (WSConversation) async throws -> Void
    ) async throws -> UInt16? {
        var logger = Logger(label: "test.ws.client")
        logger.logLevel = .critical
        let frame = try await WebSocketClient.connect(
            url: "ws://127.0.0.1:\(port)\(path)", configuration: .init(additionalHeaders: headers), logger: logger
        ) { inbound, outbound, _ in
            let conversation = WSConversation(outbound: outbound)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await body(conversation)
                    try? await outbound.close(.normalClosure, reason: nil)
                }
                do {
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        if case .text(let text) = message { conversation.append(text) }
                    }
                } catch {}
                conversation.end()
                try await group.waitForAll()
            }
        }
        guard let frame, frame.closeCode != .normalClosure else { return nil }
        return UInt16(webSocketErrorCode: frame.closeCode)
    }
}

/// The `code` of an error message.
func errorCode(_ message: [String: Any]?) -> Int? { message?["code"] as? Int }

/// A flag one task sets and others poll.
final class TestFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { self.value.store(true, ordering: .relaxed) }
    var isSet: Bool { self.value.load(ordering: .relaxed) }
}
