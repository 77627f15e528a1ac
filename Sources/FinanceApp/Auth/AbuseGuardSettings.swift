/// Settings of connection-attempt limits, bans and sign-in throttling (`ws.connectAttempts.*`, `ws.ban.*`,
/// `auth.loginAttemptsPerMinute`, `http.trustedProxies`).
public struct AbuseGuardSettings: Sendable, Equatable {
    /// WebSocket connection attempts allowed per client address per minute.
    public var connectAttemptsPerIpPerMinute: Int
    /// WebSocket connection attempts allowed per user per minute.
    public var connectAttemptsPerUserPerMinute: Int
    /// Violations within a minute that ban their key.
    public var banThreshold: Int
    /// The first ban's length; each repeat doubles it (up to `maxBanSeconds`).
    public var banBaseSeconds: Int
    /// The longest ban.
    public var maxBanSeconds: Int
    /// How long after a ban ends its repeat count is remembered (a ban after that starts at `banBaseSeconds` again).
    public var banMemorySeconds: Int
    /// Failed sign-ins allowed per user and per client address per minute.
    public var loginAttemptsPerMinute: Int
    /// The proxies whose `X-Forwarded-For` is believed (`ClientAddress`); empty: the peer address is the client.
    public var trustedProxies: TrustedProxies
    /// The most keys each table (attempts per address, per user, violations, bans, failed sign-ins) holds; beyond
    /// it idle keys, then the least recently seen, are forgotten, so memory stays bounded whatever clients do.
    public var maxTrackedKeys: Int

    public init(
        connectAttemptsPerIpPerMinute: Int = 600, connectAttemptsPerUserPerMinute: Int = 120, banThreshold: Int = 20,
        banBaseSeconds: Int = 60, maxBanSeconds: Int = 86_400, banMemorySeconds: Int = 86_400,
        loginAttemptsPerMinute: Int = 5, trustedProxies: TrustedProxies = TrustedProxies(),
        maxTrackedKeys: Int = 50_000
    ) {
        self.connectAttemptsPerIpPerMinute = connectAttemptsPerIpPerMinute
        self.connectAttemptsPerUserPerMinute = connectAttemptsPerUserPerMinute
        self.banThreshold = banThreshold
        self.banBaseSeconds = banBaseSeconds
        self.maxBanSeconds = maxBanSeconds
        self.banMemorySeconds = banMemorySeconds
        self.loginAttemptsPerMinute = loginAttemptsPerMinute
        self.trustedProxies = trustedProxies
        self.maxTrackedKeys = maxTrackedKeys
    }
}
