import FinanceCore

/// Settings of the WebSocket hub's outgoing queues (`ws.sendQueue.*`).
public struct StreamQueueSettings: Sendable, Equatable {
    /// Price updates are conflated (the latest replaces an unsent older one of the same symbol) once a connection's
    /// queue holds more than this many messages; a client whose queue never passes it loses nothing.
    public var conflateAfter: Int
    /// A queue above this many messages makes a slow client (error 407, close 4007).
    public var max: Int
    /// A queue whose oldest message is older than this (ms) makes a slow client too.
    public var maxAgeMilliseconds: Int64

    public init(conflateAfter: Int = 256, max: Int = 4_096, maxAgeMilliseconds: Int64 = 10_000) {
        self.conflateAfter = Swift.max(1, conflateAfter)
        self.max = Swift.max(self.conflateAfter, max)
        self.maxAgeMilliseconds = Swift.max(1, maxAgeMilliseconds)
    }
}

/// One tier's WebSocket limits (`ws.tiers.<tier>.*`).
public struct StreamTierLimits: Sendable, Equatable {
    /// Open WebSockets of one user, over both endpoints.
    public var maxConnections: Int
    /// Distinct symbols subscribed on one connection, over every channel.
    public var maxSymbols: Int
    /// `subscribe` and `unsubscribe` messages on one connection per minute.
    public var subscriptionsPerMinute: Int
    /// Client messages on one connection per second (a token bucket).
    public var messagesPerSecond: Int

    public init(maxConnections: Int, maxSymbols: Int, subscriptionsPerMinute: Int, messagesPerSecond: Int) {
        self.maxConnections = max(1, maxConnections)
        self.maxSymbols = max(1, maxSymbols)
        self.subscriptionsPerMinute = max(1, subscriptionsPerMinute)
        self.messagesPerSecond = max(1, messagesPerSecond)
    }

    /// The defaults: free 3/50/60/10, pro 10/500/300/50, enterprise 2000/5000/1000/100.
    public static func defaults(_ tier: UserTier) -> StreamTierLimits {
        switch tier {
        case .free:
            return StreamTierLimits(
                maxConnections: 3, maxSymbols: 50, subscriptionsPerMinute: 60, messagesPerSecond: 10)
        case .pro:
            return StreamTierLimits(
                maxConnections: 10, maxSymbols: 500, subscriptionsPerMinute: 300, messagesPerSecond: 50)
        case .enterprise:
            return StreamTierLimits(
                maxConnections: 2_000, maxSymbols: 5_000, subscriptionsPerMinute: 1_000, messagesPerSecond: 100)
        }
    }
}

/// Settings of WebSocket sessions: the per-tier limits (`ws.tiers.*`), the in-band auth timeout
/// (`ws.authTimeoutSeconds`) and the timings tests shorten (heartbeats, the expiry warning, update pacing).
public struct StreamSessionSettings: Sendable, Equatable {
    public var tiers: [UserTier: StreamTierLimits]
    /// How long an unauthenticated `/ws` connection may wait for `{"action":"auth"}` (error 404, close 1008).
    public var authTimeoutMilliseconds: Int64
    /// `{"type":"heartbeat"}` every this many ms.
    public var heartbeatMilliseconds: Int64
    /// `{"type":"token_expiring"}` this many ms before the token's `exp`.
    public var expiryWarningMilliseconds: Int64
    /// Open-bar updates and quotes of one symbol are sent at most once per this many ms.
    public var updateMilliseconds: Int64
    /// How often the hub sends paced updates (open bars, quotes) and closes bars whose time is over.
    public var flushMilliseconds: Int64

    public init(
        tiers: [UserTier: StreamTierLimits] = [:], authTimeoutMilliseconds: Int64 = 5_000,
        heartbeatMilliseconds: Int64 = 15_000, expiryWarningMilliseconds: Int64 = 60_000,
        updateMilliseconds: Int64 = 1_000, flushMilliseconds: Int64 = 100
    ) {
        self.tiers = tiers
        self.authTimeoutMilliseconds = max(1, authTimeoutMilliseconds)
        self.heartbeatMilliseconds = max(1, heartbeatMilliseconds)
        self.expiryWarningMilliseconds = max(0, expiryWarningMilliseconds)
        self.updateMilliseconds = max(1, updateMilliseconds)
        self.flushMilliseconds = max(1, flushMilliseconds)
    }

    /// The limits of `tier`: configured, else the defaults.
    public func limits(_ tier: UserTier) -> StreamTierLimits {
        self.tiers[tier] ?? StreamTierLimits.defaults(tier)
    }
}
