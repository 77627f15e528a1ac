/// Violations and bans: `ws.ban.threshold` violations of one key within a minute ban it for `ws.ban.baseSeconds`,
/// doubled for each earlier ban still remembered (`banMemorySeconds` after it ended), up to `maxBanSeconds`.
extension AbuseGuard {
    /// Counts a violation: against `user` when the client is authenticated, else against `ip`. Returns the ban it
    /// caused, if any (also handed to the `onBan` handler). Violations of a key already banned are not counted.
    @discardableResult
    public func recordViolation(_ violation: AbuseViolation, ip: String?, user: String?) -> AbuseBan? {
        guard let key = Self.violationKey(ip: ip, user: user) else { return nil }
        let now = self.clock.nowMilliseconds()
        let settings = self.settings
        let ban: AbuseBan? = self.state.withLock { s in
            if s.bans.remainingMilliseconds(key, now: now) > 0 { return nil }
            s.violations.add(key, now: now)
            guard s.violations.count(key, now: now) >= settings.banThreshold else { return nil }
            s.violations.reset(key)
            let memory = Int64(settings.banMemorySeconds) * 1_000
            let count = s.bans.previousCount(key, now: now, memory: memory) + 1
            let seconds = Self.banSeconds(count: count, settings)
            let until = now + Int64(seconds) * 1_000
            s.bans.store(key, BanTable.Record(until: until, count: count), now: now, memory: memory)
            return AbuseBan(key: key, seconds: seconds, until: until, count: count, violation: violation)
        }
        if let ban { self.announce(ban) }
        return ban
    }

    /// The seconds left of the longest ban on `ip` or `user` (rounded up), nil when neither is banned.
    public func isBanned(ip: String?, user: String?) -> Int? {
        let now = self.clock.nowMilliseconds()
        let keys = [ip.map { AbuseKey.ip(ClientAddress.limitKey($0)) }, user.map(AbuseKey.user)].compactMap { $0 }
        let remaining = self.state.withLock { s in keys.map { s.bans.remainingMilliseconds($0, now: now) }.max() ?? 0 }
        return remaining > 0 ? Int((remaining + 999) / 1_000) : nil
    }

    /// Ends a ban now (an administrator's decision); its repeat count stays remembered.
    public func lift(_ key: AbuseKey) {
        let now = self.clock.nowMilliseconds()
        self.state.withLock { $0.bans.end(key, now: now) }
    }

    /// The key a violation counts against: the user when known, else the client address.
    static func violationKey(ip: String?, user: String?) -> AbuseKey? {
        if let user { return .user(user) }
        return ip.map { .ip(ClientAddress.limitKey($0)) }
    }

    /// `banBaseSeconds × 2^(count − 1)`, at most `maxBanSeconds`.
    static func banSeconds(count: Int, _ settings: AbuseGuardSettings) -> Int {
        let doublings = min(max(0, count - 1), 40)
        let (seconds, overflow) = settings.banBaseSeconds.multipliedReportingOverflow(by: 1 << doublings)
        return overflow ? settings.maxBanSeconds : min(seconds, settings.maxBanSeconds)
    }
}

/// Bans by key, with the repeat count of ended ones remembered for a while; at most `capacity` keys (forgotten
/// ones first, then ended ones, then the bans that end soonest).
struct BanTable: Sendable {
    struct Record: Sendable, Equatable {
        /// When the ban ends, ms since the epoch.
        var until: Int64
        /// Bans of the key so far (the repeat count).
        var count: Int
    }

    private(set) var records: [AbuseKey: Record] = [:]
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Milliseconds left of `key`'s ban, 0 when it is not banned.
    func remainingMilliseconds(_ key: AbuseKey, now: Int64) -> Int64 {
        guard let record = self.records[key] else { return 0 }
        return max(0, record.until - now)
    }

    /// The bans of `key` still remembered at `now` (0 once `memory` ms have passed since the last one ended).
    func previousCount(_ key: AbuseKey, now: Int64, memory: Int64) -> Int {
        guard let record = self.records[key], record.until + memory > now else { return 0 }
        return record.count
    }

    mutating func store(_ key: AbuseKey, _ record: Record, now: Int64, memory: Int64) {
        if self.records[key] == nil && self.records.count >= self.capacity { self.evict(now: now, memory: memory) }
        self.records[key] = record
    }

    mutating func end(_ key: AbuseKey, now: Int64) {
        if let record = self.records[key], record.until > now { self.records[key]?.until = now }
    }

    /// Forgets the keys whose last ban ended more than `memory` ms ago.
    mutating func sweep(now: Int64, memory: Int64) {
        self.records = self.records.filter { $0.value.until + memory > now }
    }

    private mutating func evict(now: Int64, memory: Int64) {
        self.sweep(now: now, memory: memory)
        guard self.records.count >= self.capacity else { return }
        let target = self.capacity - max(1, self.capacity / 10)
        // Ended bans (only a repeat count) go first, oldest first; then live bans that end soonest.
        let order = self.records.sorted { $0.value.until < $1.value.until }
        for (key, _) in order.prefix(self.records.count - target) { self.records[key] = nil }
    }
}
