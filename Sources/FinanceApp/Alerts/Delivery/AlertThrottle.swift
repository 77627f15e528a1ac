import FinanceCore

/// Per-user and per-alert notification limits (`alerts.throttle.perUserPerMinute`, `.perAlertPerMinute`) over
/// one-minute windows. A notification within both limits is sent at once; beyond either it is held, and when the
/// owner's window ends everything held becomes one digest per channel (`{"type": "alert_digest", "alerts": [...]}`).
/// A digest counts as a delivery of every alert it holds: the next window starts with them counted, so a storm
/// that goes on is digested minute after minute instead of flooding.
///
/// Pure logic on an injected time: the caller admits each firing (`admit`), sends what is admitted, and asks for
/// `dueDigests` on a timer (`nextDigestAt` says when). Test sends are not counted (do not admit them).
public struct AlertThrottle: Sendable {
    public let perUserPerMinute: Int
    public let perAlertPerMinute: Int
    public static let windowMilliseconds: Int64 = 60_000

    /// One owner's current window.
    private struct Window: Sendable {
        var start: Int64
        var sent = 0
        var perAlert: [String: Int] = [:]
        /// Held notifications per channel, channels in the order first held.
        var channels: [AlertChannel] = []
        var held: [AlertChannel: [AlertNotification]] = [:]
        /// The distinct notifications held (a notification held on three channels counts once).
        var heldNotifications: [AlertNotification] = []

        var end: Int64 { self.start + AlertThrottle.windowMilliseconds }
    }

    private var windows: [String: Window] = [:]
    /// Digests of windows that ended while a notification was being admitted, waiting for `dueDigests`.
    private var ready: [ThrottledDigest] = []

    public init(perUserPerMinute: Int = 60, perAlertPerMinute: Int = 10) {
        self.perUserPerMinute = max(1, perUserPerMinute)
        self.perAlertPerMinute = max(1, perAlertPerMinute)
    }

    /// What to do with an admitted notification.
    public enum Decision: Hashable, Sendable {
        /// Send it now, on every channel.
        case send
        /// Held for the owner's digests; nothing to send now.
        case held
    }

    /// Counts `notification` of `owner`, to be sent on `channels`, at `now` (ms).
    public mutating func admit(
        _ notification: AlertNotification, owner: String, channels: [AlertChannel], now: Int64
    ) -> Decision {
        var window = self.roll(owner: owner, now: now)
        let alertCount = window.perAlert[notification.alertId, default: 0]
        defer { self.windows[owner] = window }
        if window.sent < self.perUserPerMinute && alertCount < self.perAlertPerMinute {
            window.sent += 1
            window.perAlert[notification.alertId] = alertCount + 1
            return .send
        }
        window.heldNotifications.append(notification)
        for channel in channels {
            if window.held[channel] == nil { window.channels.append(channel) }
            window.held[channel, default: []].append(notification)
        }
        return .held
    }

    /// The digests due at `now`: one per owner and channel whose window has ended with notifications held.
    public mutating func dueDigests(now: Int64) -> [ThrottledDigest] {
        for owner in self.windows.keys.sorted() {
            guard let window = self.windows[owner], window.end <= now else { continue }
            if window.heldNotifications.isEmpty {
                self.windows[owner] = nil
            } else {
                _ = self.roll(owner: owner, now: now)
            }
        }
        defer { self.ready = [] }
        return self.ready
    }

    /// When the earliest held notification's window ends; nil when nothing is held.
    public var nextDigestAt: Int64? {
        self.windows.values.filter { !$0.heldNotifications.isEmpty }.map(\.end).min()
    }

    /// The owner's window at `now`: the current one, or a new one after it ended (its held notifications moved to
    /// `ready` as digests and counted in the new window).
    private mutating func roll(owner: String, now: Int64) -> Window {
        guard let window = self.windows[owner] else { return Window(start: now) }
        guard window.end <= now else { return window }
        guard !window.heldNotifications.isEmpty else { return Window(start: now) }
        for channel in window.channels {
            self.ready.append(
                ThrottledDigest(owner: owner, channel: channel, digest: AlertDigest(alerts: window.held[channel] ?? []))
            )
        }
        // The digest was due at the window's end; the next window starts there (or now, if that is a window later).
        var next = Window(start: now - window.end < Self.windowMilliseconds ? window.end : now)
        next.sent = window.heldNotifications.count
        for notification in window.heldNotifications { next.perAlert[notification.alertId, default: 0] += 1 }
        self.windows[owner] = next
        return next
    }
}

/// A digest of one owner's held notifications on one channel.
public struct ThrottledDigest: Hashable, Sendable {
    public var owner: String
    public var channel: AlertChannel
    public var digest: AlertDigest

    public init(owner: String, channel: AlertChannel, digest: AlertDigest) {
        self.owner = owner
        self.channel = channel
        self.digest = digest
    }
}
