/// A token bucket: `capacity` tokens, refilled at `capacity` per `periodMilliseconds`; each allowed event takes
/// one. Used per connection for `messagesPerSecond` and `subscriptionsPerMinute`.
struct StreamTokenBucket: Sendable {
    let capacity: Double
    /// Tokens per millisecond.
    let rate: Double
    private var tokens: Double
    private var updatedAt: Int64?

    init(capacity: Int, periodMilliseconds: Int64) {
        self.capacity = Double(max(1, capacity))
        self.rate = self.capacity / Double(max(1, periodMilliseconds))
        self.tokens = self.capacity
    }

    /// Takes a token at `now` (ms); false when none is left.
    mutating func take(now: Int64) -> Bool {
        if let updatedAt, now > updatedAt {
            self.tokens = min(self.capacity, self.tokens + Double(now - updatedAt) * self.rate)
        }
        self.updatedAt = max(now, self.updatedAt ?? now)
        guard self.tokens >= 1 else { return false }
        self.tokens -= 1
        return true
    }
}
