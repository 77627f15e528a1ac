import FinanceCore
import HummingbirdWSClient
import Logging
import Synchronization

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One trade as a live source delivers it: the tick, with the provider's trade id and the time the upstream sent
/// it (ms since the epoch) when the wire carries them (Binance's `E`, Coinbase's message `timestamp`).
public struct LiveTrade: Hashable, Sendable {
    public var tick: Tick
    public var tradeId: String?
    public var sentAt: Int64?

    public init(tick: Tick, tradeId: String? = nil, sentAt: Int64? = nil) {
        self.tick = tick
        self.tradeId = tradeId
        self.sentAt = sentAt
    }
}

/// How a live stream reconnects and reads frames. Tests shorten the delays.
public struct LiveStreamOptions: Sendable {
    /// The first pause after a disconnection; each failed attempt doubles it up to `maxBackoff`.
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// A connection that lived this long was healthy: the next disconnection starts again from `initialBackoff`.
    public var healthyAfter: Duration
    /// The largest WebSocket frame (and message) accepted or sent (the library's default is 16 KiB, too small for
    /// snapshots such as Coinbase's 50 initial trades).
    public var maxFrameSize: Int

    public init(
        initialBackoff: Duration = .milliseconds(100), maxBackoff: Duration = .seconds(30),
        healthyAfter: Duration = .seconds(30), maxFrameSize: Int = 1 << 22
    ) {
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.healthyAfter = healthyAfter
        self.maxFrameSize = maxFrameSize
    }
}

/// Counters of a live source, summed over every stream it opened, for health checks and metrics.
public struct LiveStreamStats: Hashable, Sendable {
    /// Successful connections (the first one and every reconnection).
    public var connects = 0
    /// Connections made after a connection was lost.
    public var reconnects = 0
    /// Connections lost (closed by the server, reset, or failed to read), not counting the consumer stopping.
    public var disconnects = 0
    /// Attempts to connect that failed (refused, upgrade rejected, TLS).
    public var connectFailures = 0
    /// Data gaps: times between losing a connection and being subscribed again, count, last and total in ms.
    public var gaps = 0
    public var lastGapMilliseconds: Int64 = 0
    public var totalGapMilliseconds: Int64 = 0
    /// Frames read, trades delivered, frames that could not be read (skipped), and upstream error messages.
    public var frames = 0
    public var trades = 0
    public var invalidFrames = 0
    public var upstreamErrors = 0
    /// Jumps in the upstream's message sequence (Coinbase `sequence_num`), and the messages they skipped.
    public var sequenceGaps = 0
    public var missedMessages = 0

    public init() {}
}

/// What a live source's frame held, as its decoder reads it.
public struct LiveFrame: Sendable {
    public var trades: [LiveTrade] = []
    /// Text to send back (e.g. an answer to an application-level ping).
    public var reply: String?
    /// An error the upstream reported.
    public var upstreamError: String?
    /// Why the frame could not be read; it is skipped.
    public var invalid: String?
    /// Messages skipped by the upstream's sequence numbering before this frame.
    public var missedMessages = 0

    public init(
        trades: [LiveTrade] = [], reply: String? = nil, upstreamError: String? = nil, invalid: String? = nil,
        missedMessages: Int = 0
    ) {
        self.trades = trades
        self.reply = reply
        self.upstreamError = upstreamError
        self.invalid = invalid
        self.missedMessages = missedMessages
    }

    /// A frame with nothing for us (a subscription answer, a heartbeat).
    public static let ignored = LiveFrame()
}

/// Reads the frames of one connection (its state, such as the last sequence number, lives one connection long).
public protocol LiveFrameDecoder {
    mutating func decode(_ text: String) -> LiveFrame
}

/// What differs between live sources: where to connect, what to send once connected, how to read frames.
public struct LiveStreamSpec: Sendable {
    /// The provider's name, in logs.
    public var name: String
    /// The WebSocket URL (it may hold a secret: it is never logged).
    public var url: String
    /// The messages that subscribe every symbol, sent on every connection.
    public var subscribeMessages: [String]
    /// Secrets to remove from any logged text or error.
    public var secrets: [String]
    /// A decoder for a new connection.
    public var makeDecoder: @Sendable () -> any LiveFrameDecoder

    public init(
        name: String, url: String, subscribeMessages: [String], secrets: [String] = [],
        makeDecoder: @escaping @Sendable () -> any LiveFrameDecoder
    ) {
        self.name = name
        self.url = url
        self.subscribeMessages = subscribeMessages
        self.secrets = secrets.filter { !$0.isEmpty }
        self.makeDecoder = makeDecoder
    }
}

/// The counters of one live source, shared by the streams it opens.
public final class LiveStreamCounters: Sendable {
    private let state = Mutex(LiveStreamStats())

    public init() {}

    /// A snapshot of the counters.
    public var snapshot: LiveStreamStats { self.state.withLock { $0 } }

    func update(_ change: (inout LiveStreamStats) -> Void) {
        self.state.withLock { change(&$0) }
    }
}

/// The shared connection loop of the live sources: connect, subscribe every symbol, turn each frame into one batch
/// on the stream, and on disconnection reconnect with exponential backoff and subscribe again, logging the gap.
/// It ends (closing the socket) when the consumer stops iterating.
public enum LiveStreamConnection {
    /// A stream of the batches `transform` makes of each frame's trades (frames without trades yield nothing).
    public static func stream<Element: Sendable>(
        spec: LiveStreamSpec, options: LiveStreamOptions, counters: LiveStreamCounters, logger: Logger,
        transform: @escaping @Sendable ([LiveTrade]) -> Element
    ) -> AsyncThrowingStream<Element, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: Element.self, throwing: (any Error).self, bufferingPolicy: .unbounded)
        let logger = Redacting.logger(logger, secrets: spec.secrets)
        let task = Task {
            await run(
                spec: spec, options: options, counters: counters, logger: logger,
                yield: { continuation.yield(transform($0)) })
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The time, in ms since the epoch with a fraction (for lag measurements).
    public static func nowMilliseconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) * 1000 + Double(spec.tv_nsec) / 1_000_000
    }

    /// The state of one stream across its connections.
    private struct RunState {
        var disconnectedAt: ContinuousClock.Instant?
        var connectedAt: ContinuousClock.Instant?
    }

    static func run(
        spec: LiveStreamSpec, options: LiveStreamOptions, counters: LiveStreamCounters, logger: Logger,
        yield: @escaping @Sendable ([LiveTrade]) -> Void
    ) async {
        let state = Mutex(RunState())
        let meta: Logger.Metadata = ["provider": "\(spec.name)"]
        let configuration = WebSocketClientConfiguration(maxFrameSize: options.maxFrameSize)
        var backoff = ReconnectBackoff(options)
        while !Task.isCancelled {
            do {
                try await WebSocketClient.connect(url: spec.url, configuration: configuration, logger: logger) {
                    inbound, outbound, _ in
                    for message in spec.subscribeMessages { try await outbound.write(.text(message)) }
                    let gap = state.withLock { s -> Duration? in
                        let now = ContinuousClock.now
                        s.connectedAt = now
                        defer { s.disconnectedAt = nil }
                        return s.disconnectedAt.map { now - $0 }
                    }
                    counters.update { c in
                        c.connects += 1
                        if let gap {
                            c.reconnects += 1
                            c.gaps += 1
                            c.lastGapMilliseconds = gap.milliseconds
                            c.totalGapMilliseconds += gap.milliseconds
                        }
                    }
                    if let gap {
                        logger.warning(
                            "live stream reconnected and resubscribed",
                            metadata: meta.merging(
                                [
                                    "gap_ms": "\(gap.milliseconds)",
                                    "subscribe_messages": "\(spec.subscribeMessages.count)",
                                ],
                                uniquingKeysWith: { $1 }))
                    } else {
                        logger.info("live stream connected", metadata: meta)
                    }
                    var decoder = spec.makeDecoder()
                    for try await message in inbound.messages(maxSize: options.maxFrameSize) {
                        let text: String
                        switch message {
                        case .text(let t): text = t
                        case .binary(let buffer): text = String(buffer: buffer)
                        }
                        let frame = decoder.decode(text)
                        counters.update { c in
                            c.frames += 1
                            c.trades += frame.trades.count
                            if frame.invalid != nil { c.invalidFrames += 1 }
                            if frame.upstreamError != nil { c.upstreamErrors += 1 }
                            if frame.missedMessages > 0 {
                                c.sequenceGaps += 1
                                c.missedMessages += frame.missedMessages
                            }
                        }
                        if !frame.trades.isEmpty { yield(frame.trades) }
                        if let reply = frame.reply { try await outbound.write(.text(reply)) }
                        if let why = frame.invalid {
                            logger.debug(
                                "live stream skipped an unreadable frame",
                                metadata: meta.merging(["reason": "\(why)"], uniquingKeysWith: { $1 }))
                        }
                        if let error = frame.upstreamError {
                            logger.warning(
                                "live stream upstream error",
                                metadata: meta.merging(["error": "\(error)"], uniquingKeysWith: { $1 }))
                        }
                        if frame.missedMessages > 0 {
                            logger.warning(
                                "live stream sequence gap",
                                metadata: meta.merging(
                                    ["missed": "\(frame.missedMessages)"], uniquingKeysWith: { $1 }))
                        }
                    }
                }
                if Task.isCancelled { break }
                logger.warning("live stream closed by the server", metadata: meta)
            } catch let error as WebSocketClientError where error == .invalidURL {
                logger.error("live stream has an invalid URL", metadata: meta)
                break
            } catch {
                if Task.isCancelled { break }
                logger.warning(
                    "live stream connection failed",
                    metadata: meta.merging(["error": "\(error)"], uniquingKeysWith: { $1 }))
            }
            // Lost (or never made): note when the data stopped, and wait before the next attempt.
            let connectedFor = state.withLock { s -> Duration? in
                let now = ContinuousClock.now
                defer { s.connectedAt = nil }
                if s.disconnectedAt == nil { s.disconnectedAt = now }
                return s.connectedAt.map { now - $0 }
            }
            counters.update { c in
                if connectedFor != nil { c.disconnects += 1 } else { c.connectFailures += 1 }
            }
            do { try await Task.sleep(for: backoff.delay(afterConnectedFor: connectedFor)) } catch { break }
        }
    }
}

/// The pauses before reconnecting: `initialBackoff`, doubling up to `maxBackoff`, back to `initialBackoff` after a
/// connection that lived `healthyAfter` or longer.
struct ReconnectBackoff {
    let options: LiveStreamOptions
    private var next: Duration

    init(_ options: LiveStreamOptions) {
        self.options = options
        self.next = options.initialBackoff
    }

    /// The pause after a connection that lived `connectedFor` (nil: the attempt to connect failed).
    mutating func delay(afterConnectedFor connectedFor: Duration?) -> Duration {
        if let connectedFor, connectedFor >= self.options.healthyAfter { self.next = self.options.initialBackoff }
        defer { self.next = min(self.next * 2, self.options.maxBackoff) }
        return self.next
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

/// Removes secrets from log text and errors.
enum Redacting {
    static let mask = "<redacted>"

    static func redact(_ text: String, secrets: [String]) -> String {
        var text = text
        for secret in secrets where text.contains(secret) {
            text = text.replacing(secret, with: mask)
        }
        return text
    }

    /// `logger` with every message and metadata value redacted (the WebSocket library logs through it too).
    static func logger(_ logger: Logger, secrets: [String]) -> Logger {
        guard !secrets.isEmpty else { return logger }
        var redacted = logger
        redacted.handler = RedactingLogHandler(base: logger.handler, secrets: secrets)
        return redacted
    }
}

/// A log handler that removes secrets before passing records on.
struct RedactingLogHandler: LogHandler {
    var base: any LogHandler
    let secrets: [String]

    var metadata: Logger.Metadata {
        get { self.base.metadata }
        set { self.base.metadata = newValue }
    }
    var logLevel: Logger.Level {
        get { self.base.logLevel }
        set { self.base.logLevel = newValue }
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.base[metadataKey: key] }
        set { self.base[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        event.message = "\(Redacting.redact("\(event.message)", secrets: self.secrets))"
        var metadata = event.metadata.map { $0.mapValues { self.redact($0) } }
        if let error = event.error {
            // An error's text may hold a URL with its key: pass on its redacted text only.
            metadata = metadata ?? [:]
            metadata?["error"] = .string(Redacting.redact("\(error)", secrets: self.secrets))
            event.error = nil
        }
        event.metadata = metadata
        self.base.log(event: event)
    }

    private func redact(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string(let s): return .string(Redacting.redact(s, secrets: self.secrets))
        case .stringConvertible(let c): return .string(Redacting.redact(c.description, secrets: self.secrets))
        case .array(let a): return .array(a.map { self.redact($0) })
        case .dictionary(let d): return .dictionary(d.mapValues { self.redact($0) })
        }
    }
}
