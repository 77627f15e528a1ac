import FinanceApp
import FinanceCore
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import Synchronization

/// One WebSocket connection's life: a reader (client messages), a writer (the connection's queue, then the close
/// the hub or the session asks for) and, on `/ws`, a timer (auth timeout, heartbeats, token expiry).
///
/// Only the writer writes to the socket, so every message and the final close go out in order; the others queue
/// messages (`StreamConnection.send`) or ask for the close (`requestClose`).
final class StreamSession: Sendable {
    /// What the reader does with client messages.
    enum Mode: Sendable {
        /// `/ws`: the client protocol (`StreamClientMessage`).
        case multiplexed
        /// `/ws/market/{symbol}/price`: client text is ignored.
        case price
    }

    struct State: Sendable {
        var messages: StreamTokenBucket
        var subscribes: StreamTokenBucket
        /// The `expiresAt` a `token_expiring` was sent for.
        var warnedFor: Int64?
    }

    let connection: StreamConnection
    let hub: StreamHub
    let auth: AuthService
    /// Where floods, malformed frames and failed in-band sign-ins count towards a ban.
    let abuse: AbuseGuard?
    let barQueries: BarQueryService?
    let mode: Mode
    let maxMessageBytes: Int
    let state: Mutex<State>

    var settings: StreamSessionSettings { self.hub.session }
    var clock: any WallClock { self.hub.clock }

    init(
        connection: StreamConnection, hub: StreamHub, auth: AuthService, barQueries: BarQueryService?, mode: Mode,
        maxMessageBytes: Int, abuse: AbuseGuard? = nil
    ) {
        self.connection = connection
        self.hub = hub
        self.auth = auth
        self.abuse = abuse
        self.barQueries = barQueries
        self.mode = mode
        self.maxMessageBytes = maxMessageBytes
        let limits = hub.session.limits(connection.principal?.tier ?? .free)
        self.state = Mutex(
            State(
                messages: StreamTokenBucket(capacity: limits.messagesPerSecond, periodMilliseconds: 1_000),
                subscribes: StreamTokenBucket(capacity: limits.subscriptionsPerMinute, periodMilliseconds: 60_000)))
    }

    /// Counts a violation of this connection's client (its user once authenticated, else its address) towards a ban.
    func violation(_ kind: AbuseViolation) {
        _ = self.abuse?.recordViolation(kind, ip: self.connection.ip, user: self.connection.principal?.user)
    }

    /// Queues a message for the client.
    func reply(_ text: ByteBuffer) {
        self.connection.send(text, now: self.clock.nowMilliseconds())
    }

    /// How long a requested close (or a slow client) may wait for the writer, stuck on a client that does not read,
    /// before the session is cancelled and the connection dropped.
    static let closeGraceMilliseconds: Int64 = 3_000

    /// Runs the connection until it ends, then removes it from the hub.
    func run(inbound: WebSocketInboundStream, outbound: StreamFrameWriter) async throws {
        defer { self.hub.close(self.connection) }
        self.connection.attach(StreamLoopWriter(channel: outbound.channel, connection: self.connection))
        // Each task says whether its end ends the session: the writer's (it closed) and the watchdog's do.
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    try await self.readLoop(inbound)
                } catch {}
                // The client left (or the read failed): the writer stops without a close frame of its own.
                self.connection.requestClose(code: nil, reason: "client left")
                return false
            }
            group.addTask {
                await self.timerLoop()
                return false
            }
            group.addTask {
                try await self.writeLoop(outbound)
                return true
            }
            group.addTask {
                await self.watchdog()
                return true
            }
            while let ends = try await group.next() {
                if ends { break }
            }
            group.cancelAll()
        }
    }

    /// Returns once a close was requested (or the client turned slow) `closeGraceMilliseconds` ago and the session
    /// is still running: the writer is stuck on a client that stopped reading.
    private func watchdog() async {
        var since: ContinuousClock.Instant?
        while !Task.isCancelled {
            if self.connection.closeRequest != nil || self.connection.isSlow {
                let first = since ?? .now
                since = first
                if ContinuousClock.now - first >= .milliseconds(Self.closeGraceMilliseconds) {
                    StreamMetrics.dropped.increment(by: self.connection.queueDepth)
                    return
                }
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Waits until a close is requested or the client is too slow, then closes (the messages themselves go out through
    /// the connection's `StreamLoopWriter`).
    private func writeLoop(_ outbound: StreamFrameWriter) async throws {
        for await _ in self.connection.wakeUps {
            if let close = self.connection.closeRequest {
                StreamMetrics.dropped.increment(by: self.connection.queueDepth)
                guard let code = close.code else { return }
                if let message = close.message { try await outbound.write([message]) }
                StreamMetrics.closed(code: code).increment()
                try await outbound.close(WebSocketErrorCode(codeNumber: Int(code)), reason: close.reason)
                return
            }
            if self.connection.isSlow {
                StreamMetrics.dropped.increment(by: self.connection.queueDepth)
                StreamMetrics.closed(code: 4007).increment()
                try await outbound.write([StreamMessages.error(.slowClient, "slow client")])
                try await outbound.close(.unknown(4007), reason: "slow client")
                return
            }
            // Messages are written by the connection's `StreamLoopWriter`; this task only closes.
        }
    }

    /// Reads client messages (collating fragments up to `maxMessageBytes`) until the client leaves or a close is
    /// requested. Binary frames close with 1003, larger messages with 1009.
    private func readLoop(_ inbound: WebSocketInboundStream) async throws {
        var message = ByteBuffer()
        var collating = false
        for try await frame in inbound {
            switch frame.opcode {
            case .binary:
                self.violation(.malformedFrame)
                self.connection.requestClose(code: 1003, reason: "binary frames are not accepted")
                return
            case .text:
                message = frame.data
                collating = !frame.fin
            case .continuation:
                guard collating else { continue }
                var data = frame.data
                message.writeBuffer(&data)
            }
            if message.readableBytes > self.maxMessageBytes {
                self.violation(.malformedFrame)
                self.connection.requestClose(code: 1009, reason: "message too big (over \(self.maxMessageBytes) bytes)")
                return
            }
            guard frame.fin else { continue }
            collating = false
            self.connection.messagesIn.add(1, ordering: .relaxed)
            StreamMetrics.messagesIn.increment()
            if self.mode == .multiplexed { await self.handle(message) }
            if self.connection.closeRequest != nil { return }
        }
    }

    /// Closes an unauthenticated connection after `authTimeoutMilliseconds` (error 404, close 1008), warns
    /// `expiryWarningMilliseconds` before the token's `exp` (`token_expiring`), closes at `exp` with 4001 unless
    /// refreshed, and sends a heartbeat (and to admins on `monitoring`, the hub's counts) every
    /// `heartbeatMilliseconds`. On the price endpoint (no in-band refresh, no client protocol) it only closes at `exp`.
    private func timerLoop() async {
        let settings = self.settings
        let multiplexed = self.mode == .multiplexed
        let start = self.clock.nowMilliseconds()
        let authDeadline = start + settings.authTimeoutMilliseconds
        var nextHeartbeat = multiplexed ? start + settings.heartbeatMilliseconds : Int64.max
        while !Task.isCancelled, self.connection.closeRequest == nil {
            let now = self.clock.nowMilliseconds()
            var wakeAt = nextHeartbeat
            if let principal = self.connection.principal {
                if now >= principal.expiresAt {
                    self.connection.requestClose(code: 4001, reason: "token expired")
                    return
                }
                let warnAt = principal.expiresAt - settings.expiryWarningMilliseconds
                let warned = self.state.withLock { $0.warnedFor == principal.expiresAt }
                if multiplexed, !warned, now >= warnAt {
                    self.state.withLock { $0.warnedFor = principal.expiresAt }
                    self.reply(StreamMessages.tokenExpiring(principal.expiresAt))
                }
                wakeAt = min(wakeAt, warned || now >= warnAt ? principal.expiresAt : warnAt)
            } else {
                if now >= authDeadline {
                    self.connection.requestClose(
                        code: 1008, reason: "auth timeout",
                        message: StreamMessages.error(
                            .authTimeout,
                            "auth timeout: no {\"action\":\"auth\"} within \(settings.authTimeoutMilliseconds) ms"))
                    return
                }
                wakeAt = min(wakeAt, authDeadline)
            }
            if now >= nextHeartbeat {
                self.reply(StreamMessages.heartbeat(now))
                if self.connection.subscriptions.monitoring {
                    self.reply(StreamMessages.monitoring(self.hub.stats(), ts: now))
                }
                nextHeartbeat = now + settings.heartbeatMilliseconds
                wakeAt = min(wakeAt, nextHeartbeat)
            }
            // At most a second on `/ws`, so that a refreshed token is seen.
            let sleep = max(1, min(wakeAt - now, multiplexed ? 1_000 : 60_000))
            try? await Task.sleep(for: .milliseconds(sleep))
        }
    }
}
