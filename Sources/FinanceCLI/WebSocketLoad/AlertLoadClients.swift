import FinanceCore
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import Synchronization

/// The access tokens of `bench alert-delivery`'s users, in user order.
final class AlertLoadTokens: Sendable {
    private let all = Mutex<[String]>([])
    func add(_ token: String) { self.all.withLock { $0.append(token) } }
    var users: [String] { self.all.withLock { $0 } }
}

/// What `bench alert-delivery`'s clients received: per symbol, when each alert's notification first arrived; the
/// clients subscribed so far; digest messages (a throttle held notifications back).
final class AlertArrivals: Sendable {
    private struct State {
        var bySymbol: [String: [String: ContinuousClock.Instant]] = [:]
        var subscribed = 0
        var digests = 0
    }
    private let state = Mutex(State())

    /// Records one text frame of a client.
    func record(_ text: String, at instant: ContinuousClock.Instant) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let type = object["type"] as? String
        else { return }
        self.state.withLock { s in
            switch type {
            case "alert":
                guard let symbol = object["symbol"] as? String, let id = object["alertId"] as? String else { return }
                if s.bySymbol[symbol, default: [:]][id] == nil { s.bySymbol[symbol, default: [:]][id] = instant }
            case "subscribed": s.subscribed += 1
            case "alert_digest": s.digests += 1
            default: break
            }
        }
    }

    func count(_ symbol: String) -> Int { self.state.withLock { $0.bySymbol[symbol]?.count ?? 0 } }
    func times(_ symbol: String) -> [ContinuousClock.Instant] {
        self.state.withLock { Array(($0.bySymbol[symbol] ?? [:]).values) }
    }
    var digests: Int { self.state.withLock { $0.digests } }

    /// Waits until `clients` subscriptions were confirmed.
    func waitUntilSubscribed(_ clients: Int, seconds: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while self.state.withLock({ $0.subscribed }) < clients {
            guard ContinuousClock.now < deadline else {
                throw CLIFailure(
                    "only \(self.state.withLock { $0.subscribed }) of \(clients) clients subscribed within \(seconds) s"
                )
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// `bench alert-delivery`'s WebSocket clients: one `/ws` connection per user, authenticated in the handshake and
/// subscribed to `alerts`, recording every frame on `AlertArrivals` until cancelled.
enum AlertLoadClients {
    static func run(port: Int, tokens: [String], arrivals: AlertArrivals) async {
        let logger: Logger = {
            var logger = Logger(label: "financehub.bench.alerts")
            logger.logLevel = .critical
            return logger
        }()
        await withTaskGroup(of: Void.self) { group in
            for token in tokens {
                group.addTask {
                    let headers: HTTPFields = [.authorization: "Bearer \(token)"]
                    _ = try? await WebSocketClient.connect(
                        url: "ws://127.0.0.1:\(port)/ws",
                        configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: headers), logger: logger
                    ) { inbound, outbound, _ in
                        try await outbound.write(.text(#"{"action":"subscribe","channels":["alerts"]}"#))
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            guard case .text(let text) = message else { continue }
                            arrivals.record(text, at: .now)
                        }
                    }
                }
            }
        }
    }
}
