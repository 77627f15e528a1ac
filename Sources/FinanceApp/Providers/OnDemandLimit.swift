import FinanceCore

/// A user's requests caused more upstream fetches in the last minute than `providers.onDemand.perUserPerMinute`
/// allows (cache hits do not count; admins and service keys are exempt): 429 with `Retry-After`.
public struct OnDemandLimited: Error, Sendable, Equatable {
    public var retryAfterSeconds: Int
    public var perMinute: Int
}

extension RequestRateLimiter {
    /// The limiter of on-demand fetches: the same allowance for every tier.
    public static func onDemand(perMinute: Int, clock: any WallClock) -> RequestRateLimiter {
        RequestRateLimiter(
            perMinute: Dictionary(uniqueKeysWithValues: UserTier.allCases.map { ($0, perMinute) }), clock: clock)
    }

    /// A check to run before each upstream fetch `user` causes; it throws `OnDemandLimited` past the allowance.
    public func admission(user: String, tier: UserTier) -> @Sendable () throws -> Void {
        { [self] in
            if case .limited(let seconds) = self.admit(user: user, tier: tier) {
                throw OnDemandLimited(retryAfterSeconds: seconds, perMinute: self.perMinute[tier] ?? 0)
            }
        }
    }
}
