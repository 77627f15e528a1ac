import FinanceApp
import FinanceCore
import NIOCore
import Synchronization

/// One WebSocket connection as the hub sees it: its bounded outgoing queue, who it is (once authenticated), its
/// counters, and a close request that its session's writer carries out (a forced disconnect, an expired token, a
/// limit).
final class StreamConnection: Sendable {
    /// How the connection must end: an optional last message, then a close frame with `code` (nil: the client left,
    /// just stop).
    struct CloseRequest: Sendable {
        var code: UInt16?
        var reason: String
        var message: ByteBuffer?
    }

    /// The endpoint the connection came in on.
    enum Endpoint: String, Sendable {
        case multiplexed = "/ws"
        case price = "/ws/market/{symbol}/price"
    }

    let id: Int
    let ip: String
    let endpoint: Endpoint
    /// When it connected, ms since the epoch.
    let since: Int64
    private let outbox: Mutex<ClientOutbox>
    private let wake: AsyncStream<Void>.Continuation
    /// Yields when a close is requested or the client turned slow (at most one pending wake-up), and, until the
    /// session attaches its `StreamLoopWriter`, when messages are waiting.
    let wakeUps: AsyncStream<Void>
    /// Writes queued messages on the connection's event loop once the session runs.
    private let loopWriter = Mutex<StreamLoopWriter?>(nil)
    private let slowFlag = Atomic<Bool>(false)
    private let closing = Mutex<CloseRequest?>(nil)
    private let who = Mutex<Principal?>(nil)
    private let subscriptionsState = Mutex(StreamSubscriptions())
    let messagesIn = Atomic<Int>(0)
    let messagesOut = Atomic<Int>(0)

    init(id: Int, ip: String, endpoint: Endpoint, since: Int64, settings: StreamQueueSettings) {
        self.id = id
        self.ip = ip
        self.endpoint = endpoint
        self.since = since
        self.outbox = Mutex(ClientOutbox(settings: settings))
        (self.wakeUps, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues a message (`symbol` marks a price update that may be conflated); false when the client turned out
    /// too slow.
    @discardableResult
    func send(_ text: ByteBuffer, symbol: String? = nil, now: Int64) -> Bool {
        let outcome = self.outbox.withLock { $0.push(text, symbol: symbol, now: now) }
        switch outcome {
        case .queued: break
        case .conflated: StreamMetrics.conflated.increment()
        case .slow:
            self.slowFlag.store(true, ordering: .relaxed)
            self.wake.yield()
            return false
        }
        if let writer = self.loopWriter.withLock({ $0 }) {
            writer.schedule()
        } else {
            self.wake.yield()
        }
        return true
    }

    /// Hands the writing of queued messages to `writer` (on the connection's event loop), and writes what is
    /// already queued.
    func attach(_ writer: StreamLoopWriter) {
        self.loopWriter.withLock { $0 = writer }
        writer.schedule()
    }

    /// The waiting messages, oldest first.
    func drain() -> [ByteBuffer] { self.outbox.withLock { $0.drain() } }

    var queueDepth: Int { self.outbox.withLock { $0.count } }
    var isSlow: Bool { self.slowFlag.load(ordering: .relaxed) }

    /// The authenticated user, nil before authentication.
    var principal: Principal? {
        get { self.who.withLock { $0 } }
        set { self.who.withLock { $0 = newValue } }
    }

    /// What the connection is subscribed to (kept by the hub).
    var subscriptions: StreamSubscriptions {
        get { self.subscriptionsState.withLock { $0 } }
        set { self.subscriptionsState.withLock { $0 = newValue } }
    }

    /// Asks the session to end the connection; the first request wins.
    func requestClose(code: UInt16?, reason: String, message: ByteBuffer? = nil) {
        self.closing.withLock { current in
            if current == nil { current = CloseRequest(code: code, reason: reason, message: message) }
        }
        self.wake.yield()
    }

    var closeRequest: CloseRequest? { self.closing.withLock { $0 } }

    func finish() {
        self.loopWriter.withLock { $0 = nil }
        self.wake.finish()
    }
}
