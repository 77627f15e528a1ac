import FinanceCore
import Synchronization

/// The answer of a limit: go ahead, or wait this many seconds (`Retry-After`).
public enum AbuseDecision: Hashable, Sendable {
    case allowed
    case limited(retryAfterSeconds: Int)

    /// The longer wait of two decisions.
    func combined(with other: AbuseDecision) -> AbuseDecision {
        switch (self, other) {
        case (.allowed, _): return other
        case (_, .allowed): return self
        case (.limited(let a), .limited(let b)): return .limited(retryAfterSeconds: max(a, b))
        }
    }
}

/// What violations and bans are counted against: a client address (unauthenticated clients; IPv6 by its /64, which
/// one client usually holds whole) or a user.
public enum AbuseKey: Hashable, Sendable, CustomStringConvertible {
    case ip(String)
    case user(String)

    public var description: String {
        switch self {
        case .ip(let ip): return "ip \(ip)"
        case .user(let user): return "user \(user)"
        }
    }
}

/// A misbehaviour that counts towards a ban.
public enum AbuseViolation: String, Hashable, Sendable, CaseIterable {
    /// A token that failed its check (handshake, in-band `auth` or `refresh`).
    case badToken = "bad_token"
    /// Messages or subscriptions over a rate limit, or connection attempts over theirs.
    case flood
    /// A frame that is not a valid message: not UTF-8 or JSON, binary, oversized, an unknown action.
    case malformedFrame = "malformed_frame"
}

/// A ban just imposed.
public struct AbuseBan: Hashable, Sendable {
    public var key: AbuseKey
    /// Its length: `ws.ban.baseSeconds` doubled per earlier ban still remembered.
    public var seconds: Int
    /// When it ends, ms since the epoch.
    public var until: Int64
    /// 1 for a first ban, 2 for the first repeat, …
    public var count: Int
    /// The violation that reached the threshold.
    public var violation: AbuseViolation

    public init(key: AbuseKey, seconds: Int, until: Int64, count: Int, violation: AbuseViolation) {
        self.key = key
        self.seconds = seconds
        self.until = until
        self.count = count
        self.violation = violation
    }
}

/// Limits against abuse, in memory (per instance) with an injected clock: connection attempts per client address
/// and per user, violations that ban their key (doubling on each repeat), and failed sign-ins per user and per
/// address. Thread-safe; each table holds at most `settings.maxTrackedKeys` keys (`MinuteCounters`).
///
/// Client addresses are those of `ClientAddress.resolve`; they are keyed by `ClientAddress.limitKey`.
public final class AbuseGuard: Sendable {
    public let settings: AbuseGuardSettings
    let clock: any WallClock
    let state: Mutex<State>
    private let banHandler = Mutex<(@Sendable (AbuseBan) -> Void)?>(nil)

    struct State {
        var connectByIp: MinuteCounters<String>
        var connectByUser: MinuteCounters<String>
        var violations: MinuteCounters<AbuseKey>
        var bans: BanTable
        var failedLoginsByUser: MinuteCounters<String>
        var failedLoginsByIp: MinuteCounters<String>
    }

    public init(settings: AbuseGuardSettings = AbuseGuardSettings(), clock: any WallClock = SystemClock()) {
        self.settings = settings
        self.clock = clock
        let capacity = settings.maxTrackedKeys
        self.state = Mutex(
            State(
                connectByIp: MinuteCounters(capacity: capacity), connectByUser: MinuteCounters(capacity: capacity),
                violations: MinuteCounters(capacity: capacity), bans: BanTable(capacity: capacity),
                failedLoginsByUser: MinuteCounters(capacity: capacity),
                failedLoginsByIp: MinuteCounters(capacity: capacity)))
    }

    /// Calls `handler` with every ban as it is imposed (outside the guard's lock), e.g. to audit it and close the
    /// key's connections. Replaces the previous handler.
    public func onBan(_ handler: @escaping @Sendable (AbuseBan) -> Void) {
        self.banHandler.withLock { $0 = handler }
    }

    // MARK: Connection attempts

    /// A WebSocket connection attempt from `ip`: allowed (and counted) while the address made fewer than
    /// `connectAttemptsPerIpPerMinute` allowed attempts in the last minute. Refused attempts are not counted.
    public func connectAttempt(ip: String) -> AbuseDecision {
        let key = ClientAddress.limitKey(ip)
        let limit = self.settings.connectAttemptsPerIpPerMinute
        return self.attempt {
            $0.connectByIp.decision(key, limit: limit, now: $1)
        } count: {
            $0.connectByIp.add(key, now: $1)
        }
    }

    /// A WebSocket connection attempt of `user` (once its token checked), limited like `connectAttempt(ip:)` by
    /// `connectAttemptsPerUserPerMinute`.
    public func connectAttempt(user: String) -> AbuseDecision {
        let limit = self.settings.connectAttemptsPerUserPerMinute
        return self.attempt {
            $0.connectByUser.decision(user, limit: limit, now: $1)
        } count: {
            $0.connectByUser.add(user, now: $1)
        }
    }

    private func attempt(
        _ decide: (inout State, Int64) -> AbuseDecision, count: (inout State, Int64) -> Void
    ) -> AbuseDecision {
        let now = self.clock.nowMilliseconds()
        return self.state.withLock { s in
            let decision = decide(&s, now)
            if decision == .allowed { count(&s, now) }
            return decision
        }
    }

    // MARK: Sign-in throttling

    /// Whether a sign-in of `user` from `ip` may be tried: limited while the user, or the address, has
    /// `loginAttemptsPerMinute` failed sign-ins in the last minute (the longer wait of the two).
    public func loginAllowed(user: String, ip: String?) -> AbuseDecision {
        let (userKey, ipKey) = (Self.loginKey(user), ip.map(ClientAddress.limitKey))
        let limit = self.settings.loginAttemptsPerMinute
        let now = self.clock.nowMilliseconds()
        return self.state.withLock { s in
            let byUser = s.failedLoginsByUser.decision(userKey, limit: limit, now: now)
            guard let ipKey else { return byUser }
            return byUser.combined(with: s.failedLoginsByIp.decision(ipKey, limit: limit, now: now))
        }
    }

    /// Counts a failed sign-in against the user name tried and the address.
    public func loginFailed(user: String, ip: String?) {
        let (userKey, ipKey) = (Self.loginKey(user), ip.map(ClientAddress.limitKey))
        let now = self.clock.nowMilliseconds()
        self.state.withLock { s in
            s.failedLoginsByUser.add(userKey, now: now)
            if let ipKey { s.failedLoginsByIp.add(ipKey, now: now) }
        }
    }

    /// Forgets the user's failed sign-ins (the address's stay counted).
    public func loginSucceeded(user: String) {
        let key = Self.loginKey(user)
        self.state.withLock { $0.failedLoginsByUser.reset(key) }
    }

    /// User names are compared as sign-in compares them (lower case), and cut, so any text tried costs little.
    private static func loginKey(_ user: String) -> String { String(user.lowercased().prefix(64)) }

    // MARK: Upkeep

    /// Forgets counters that count nothing any more and bans whose repeat count is no longer remembered. Tables also
    /// do this themselves when full; calling it now and then (a minute) keeps them small between floods.
    public func sweep() {
        let now = self.clock.nowMilliseconds()
        let memory = Int64(self.settings.banMemorySeconds) * 1_000
        self.state.withLock { s in
            s.connectByIp.sweep(now: now)
            s.connectByUser.sweep(now: now)
            s.violations.sweep(now: now)
            s.failedLoginsByUser.sweep(now: now)
            s.failedLoginsByIp.sweep(now: now)
            s.bans.sweep(now: now, memory: memory)
        }
    }

    /// The keys held by each table (tests and metrics).
    public var trackedKeys: [String: Int] {
        self.state.withLock { s in
            [
                "connectByIp": s.connectByIp.entries.count, "connectByUser": s.connectByUser.entries.count,
                "violations": s.violations.entries.count, "bans": s.bans.records.count,
                "failedLoginsByUser": s.failedLoginsByUser.entries.count,
                "failedLoginsByIp": s.failedLoginsByIp.entries.count,
            ]
        }
    }

    /// Hands a ban to the handler, outside the lock.
    func announce(_ ban: AbuseBan) {
        let handler = self.banHandler.withLock { $0 }
        handler?(ban)
    }
}
