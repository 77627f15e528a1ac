import FinanceStorage
import Logging
import PostgresNIO
import Synchronization

/// The relay between instances sharing one PostgreSQL database: LISTEN/NOTIFY on one channel per schema.
///
/// Sending packs messages into payloads under the 8,000-byte NOTIFY limit (`RelayCodec`), each carrying this
/// instance's id and a sequence number, and sends up to `payloadsPerStatement` of them in one statement (one
/// transaction) through the store's pool. Receiving keeps a dedicated connection listening; when it drops (a
/// restart, `pg_terminate_backend`, a network failure caught by the keep-alive ping) the relay logs it, counts it
/// and connects again after a back-off that doubles up to `maxReconnectDelay`. Payloads sent while it was away are
/// lost (live messages are never replayed) and counted as missed from the gaps in the senders' sequence numbers.
public final class PostgresRelay: InstanceRelay {
    public let instanceId: String
    /// The NOTIFY channel: `financehub_relay`, suffixed with the schema when the database URL names one.
    public let channel: String
    public let received: AsyncStream<[RelayMessage]>
    /// Payloads are at most this many bytes.
    public let maxPayloadBytes: Int
    /// The first wait before connecting again; it doubles after each failed attempt, up to `maxReconnectDelay`.
    public let reconnectDelay: Duration
    public let maxReconnectDelay: Duration
    /// How often the listening connection is pinged (a connection that does not answer within as long is closed).
    public let keepAlive: Duration
    /// Payloads sent in one statement.
    public static let payloadsPerStatement = 500

    private let continuation: AsyncStream<[RelayMessage]>.Continuation
    private let location: PostgresURL
    private let client: PostgresClient
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var stats = RelayStats()
        var sequence: UInt64 = 0
        /// The newest sequence number seen from each other instance.
        var lastSequence: [String: UInt64] = [:]
        var listenerProcessId: Int32?
    }

    /// A relay sending through `store`'s pool and listening on a connection of its own to the same database.
    /// `receiveBuffer` payloads wait for the consumer at most; older ones are dropped when it falls behind. `channel`
    /// replaces the schema's channel (the benchmark keeps off the one live instances use).
    public init(
        store: PostgresStore, instanceId: String = RelayInstanceId.random(), channel: String? = nil,
        maxPayloadBytes: Int = RelayCodec.maxPayloadBytes, reconnectDelay: Duration = .milliseconds(100),
        maxReconnectDelay: Duration = .seconds(5), keepAlive: Duration = .seconds(15), receiveBuffer: Int = 10_000,
        logger: Logger
    ) {
        self.instanceId = instanceId
        self.channel = channel ?? Self.channel(schema: store.location.schema)
        self.maxPayloadBytes = min(maxPayloadBytes, RelayCodec.maxPayloadBytes)
        self.reconnectDelay = reconnectDelay
        self.maxReconnectDelay = max(reconnectDelay, maxReconnectDelay)
        self.keepAlive = keepAlive
        self.location = store.location
        self.client = store.client
        self.logger = logger
        (self.received, self.continuation) = AsyncStream.makeStream(
            of: [RelayMessage].self, bufferingPolicy: .bufferingNewest(max(1, receiveBuffer)))
    }

    /// `financehub_relay`, or `financehub_relay_<schema>` so that deployments in different schemas of one database
    /// stay apart (a schema that does not fit a plain identifier is replaced by a hash of it).
    static func channel(schema: String?) -> String {
        guard let schema, !schema.isEmpty else { return "financehub_relay" }
        let plain = schema.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
        if plain, schema.utf8.count <= 46 { return "financehub_relay_" + schema }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in schema.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0100_0000_01b3 }
        return "financehub_relay_" + String(hash, radix: 16)
    }

    public var summary: String { "PostgreSQL LISTEN/NOTIFY on \(self.channel) (instance \(self.instanceId))" }

    public var stats: RelayStats { self.state.withLock { $0.stats } }

    /// The server process id of the listening connection, while there is one (tests end it to check reconnects).
    public var listenerProcessId: Int32? { self.state.withLock { $0.listenerProcessId } }

    public func send(_ messages: [RelayMessage]) async throws {
        guard !messages.isEmpty else { return }
        let (bodies, rejected) = RelayCodec.pack(messages, instance: self.instanceId, maxBytes: self.maxPayloadBytes)
        if rejected > 0 {
            self.state.withLock { $0.stats.rejected += rejected }
            RelayMetrics.dropped("too_large").increment(by: rejected)
            self.logger.warning("relay: \(rejected) message(s) too large for one payload were not sent")
        }
        guard !bodies.isEmpty else { return }
        let first = self.state.withLock { s in
            defer { s.sequence += UInt64(bodies.count) }
            return s.sequence + 1
        }
        var start = 0
        while start < bodies.count {
            let end = min(start + Self.payloadsPerStatement, bodies.count)
            let payloads = (start..<end).map {
                RelayCodec.header(instance: self.instanceId, sequence: first + UInt64($0)) + bodies[$0].text
            }
            let count = bodies[start..<end].reduce(0) { $0 + $1.count }
            do {
                // One statement, one transaction: the sequence numbers keep identical bodies from being merged.
                let rows = try await self.client.query(
                    "SELECT pg_notify(\(self.channel), p) FROM unnest(\(payloads)::text[]) AS p", logger: self.logger)
                for try await _ in rows {}
            } catch {
                let lost = bodies[start...].reduce(0) { $0 + $1.count }
                RelayMetrics.dropped("send_failed").increment(by: lost)
                throw PostgresStore.mapError(error, "send on the relay")
            }
            self.state.withLock {
                $0.stats.sentPayloads += payloads.count
                $0.stats.sentMessages += count
            }
            RelayMetrics.sentPayloads.increment(by: payloads.count)
            RelayMetrics.sentMessages.increment(by: count)
            start = end
        }
    }

    public func run() async {
        var delay = self.reconnectDelay
        while !Task.isCancelled {
            var reason = "ended"
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: PostgresStore.connectionConfiguration(self.location), id: 1, logger: self.logger)
                do {
                    try await self.listen(on: connection) { delay = self.reconnectDelay }
                } catch {
                    reason = "\(PostgresStore.mapError(error, "listen on the relay"))"
                }
                try? await connection.close()
            } catch {
                reason = "\(PostgresStore.mapError(error, "connect for the relay"))"
            }
            self.state.withLock {
                $0.stats.listening = false
                $0.listenerProcessId = nil
            }
            if Task.isCancelled { break }
            self.state.withLock { $0.stats.reconnects += 1 }
            RelayMetrics.reconnects.increment()
            self.logger.warning(
                "relay: the listening connection was lost (\(reason)); connecting again in \(delay)")
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, self.maxReconnectDelay)
        }
        self.continuation.finish()
    }

    /// Listens on `connection` until it fails (throws) or the task is cancelled; `onListening` once LISTEN is on.
    private func listen(on connection: PostgresConnection, onListening: () -> Void) async throws {
        var processId: Int32?
        for try await value in try await connection.query("SELECT pg_backend_pid()", logger: self.logger).decode(
            Int32.self)
        {
            processId = value
        }
        try await connection.listen(on: self.channel) { notifications in
            let reconnected = self.state.withLock { s in
                defer {
                    s.stats.listening = true
                    s.listenerProcessId = processId
                }
                return s.stats.reconnects > 0
            }
            onListening()
            if reconnected { self.logger.info("relay: listening again on \(self.channel)") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await notification in notifications { self.handle(notification.payload) }
                    throw RelayConnectionEnded()
                }
                group.addTask { try await self.ping(connection) }
                _ = try await group.next()
                group.cancelAll()
            }
        }
    }

    /// Pings the connection every `keepAlive`; closes it when a ping takes longer than that (a dead network).
    private func ping(_ connection: PostgresConnection) async throws {
        while true {
            try await Task.sleep(for: self.keepAlive)
            let (interval, logger) = (self.keepAlive, self.logger)
            let watchdog = Task {
                try await Task.sleep(for: interval)
                logger.warning("relay: the listening connection did not answer a ping; closing it")
                try? await connection.close()
            }
            defer { watchdog.cancel() }
            for try await _ in try await connection.query("SELECT 1", logger: self.logger) {}
        }
    }

    /// Reads one notification: another instance's payload goes to `received`; this instance's own is ignored.
    private func handle(_ payload: String) {
        guard let decoded = RelayCodec.decode(payload) else {
            self.state.withLock { $0.stats.malformed += 1 }
            RelayMetrics.malformedPayloads.increment()
            self.logger.debug("relay: a payload that is not one of ours was ignored (\(payload.utf8.count) bytes)")
            return
        }
        guard decoded.instance != self.instanceId else {
            self.state.withLock { $0.stats.ownIgnored += 1 }
            return
        }
        let missed = self.state.withLock { s -> Int in
            var missed = 0
            if let last = s.lastSequence[decoded.instance], decoded.sequence > last + 1 {
                missed = Int(clamping: decoded.sequence - last - 1)
            }
            // Instances come and go (a restart is a new id): forget them all now and then.
            if s.lastSequence.count >= 1_024, s.lastSequence[decoded.instance] == nil { s.lastSequence.removeAll() }
            s.lastSequence[decoded.instance] = max(s.lastSequence[decoded.instance] ?? 0, decoded.sequence)
            s.stats.missedPayloads += missed
            s.stats.receivedPayloads += 1
            s.stats.receivedMessages += decoded.messages.count
            return missed
        }
        if missed > 0 { RelayMetrics.missedPayloads.increment(by: missed) }
        RelayMetrics.receivedPayloads.increment()
        RelayMetrics.receivedMessages.increment(by: decoded.messages.count)
        if case .dropped = self.continuation.yield(decoded.messages) {
            self.state.withLock { $0.stats.droppedPayloads += 1 }
            RelayMetrics.dropped("consumer_behind").increment()
        }
    }
}

/// The listening connection's notifications ended: the connection is gone.
struct RelayConnectionEnded: Error, CustomStringConvertible {
    var description: String { "the connection closed" }
}
