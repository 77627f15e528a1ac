import FinanceCore
import Synchronization

/// Requests per minute per user and tier (`api.tiers.<tier>.requestsPerMinute`): a token bucket per user holding a
/// minute's allowance and refilled continuously, so a burst of a minute's requests passes and a steady rate above the
/// allowance gets 429s. Memory is bounded: when `maxUsers` buckets exist, the full (idle) ones are dropped.
public final class RequestRateLimiter: Sendable {
    /// The outcome of one request.
    public enum Decision: Equatable, Sendable {
        case allowed
        /// Refused; a token is back after this many seconds (at least 1).
        case limited(retryAfterSeconds: Int)
    }

    private struct Bucket {
        var tokens: Double
        var updatedAt: Int64
    }

    public let perMinute: [UserTier: Int]
    private let clock: any WallClock
    private let maxUsers: Int
    private let buckets = Mutex([String: Bucket]())

    public init(perMinute: [UserTier: Int], clock: any WallClock, maxUsers: Int = 100_000) {
        self.perMinute = perMinute
        self.clock = clock
        self.maxUsers = maxUsers
    }

    /// Spends one request of `user`'s allowance.
    public func admit(user: String, tier: UserTier) -> Decision {
        let limit = Double(max(1, self.perMinute[tier] ?? 600))
        let now = self.clock.nowMilliseconds()
        let perMs = limit / 60_000
        return self.buckets.withLock { buckets in
            var bucket = buckets[user] ?? Bucket(tokens: limit, updatedAt: now)
            bucket.tokens = min(limit, bucket.tokens + Double(max(0, now - bucket.updatedAt)) * perMs)
            bucket.updatedAt = now
            defer {
                if buckets[user] == nil && buckets.count >= self.maxUsers {
                    // Buckets untouched for a minute are full again: forgetting them changes nothing.
                    buckets = buckets.filter { now - $0.value.updatedAt < 60_000 }
                    if buckets.count >= self.maxUsers { buckets.removeAll() }
                }
                buckets[user] = bucket
            }
            guard bucket.tokens >= 1 else {
                return .limited(retryAfterSeconds: max(1, Int(((1 - bucket.tokens) / perMs / 1_000).rounded(.up))))
            }
            bucket.tokens -= 1
            return .allowed
        }
    }
}
