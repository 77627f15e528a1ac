/// Stops runaway alerts: an alert that fires more than `maxFirings` times within `windowMilliseconds` (15 in 3
/// minutes) is to be disabled, and its owner told with an `alert_disabled` notice. Pure logic on an injected time.
public struct RunawayGuard: Sendable {
    public let maxFirings: Int
    public let windowMilliseconds: Int64
    /// Each alert's recent firing times, oldest first (at most `maxFirings` kept).
    private var firings: [String: [Int64]] = [:]

    public init(maxFirings: Int = 15, windowMilliseconds: Int64 = 180_000) {
        self.maxFirings = max(1, maxFirings)
        self.windowMilliseconds = windowMilliseconds
    }

    /// The reason given to the owner.
    public var reason: String {
        "fired more than \(self.maxFirings) times in \(self.windowMilliseconds / 60_000) minutes"
    }

    /// Counts a firing of `alertId` at `now` (ms). Returns the notice when it is one too many: the caller disables
    /// the alert (`disabledReason` = the notice's reason) and queues the notice; the alert's count starts over.
    public mutating func record(alertId: String, now: Int64) -> AlertDisabledNotice? {
        var times = (self.firings[alertId] ?? []).filter { now - $0 < self.windowMilliseconds }
        guard times.count < self.maxFirings else {
            self.firings[alertId] = nil
            return AlertDisabledNotice(alertId: alertId, reason: self.reason)
        }
        times.append(now)
        self.firings[alertId] = times
        return nil
    }

    /// Forgets an alert (deleted, edited or re-enabled by its owner).
    public mutating func forget(alertId: String) { self.firings[alertId] = nil }

    /// Drops alerts with no firing in the window ending at `now` (call now and then to bound memory).
    public mutating func sweep(now: Int64) {
        self.firings = self.firings.filter { _, times in times.contains { now - $0 < self.windowMilliseconds } }
    }

    /// Alerts currently counted.
    public var trackedAlerts: Int { self.firings.count }
}
