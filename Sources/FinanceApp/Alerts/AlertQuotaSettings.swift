import FinanceCore

/// How many alerts a user of each tier may have (`alerts.tiers.<tier>.maxAlerts`).
public struct AlertQuotaSettings: Sendable, Equatable {
    public var maxAlerts: [UserTier: Int] = [.free: 20, .pro: 500, .enterprise: 100_000]

    public init() {}

    /// The quota of `tier`.
    public func maxAlerts(_ tier: UserTier) -> Int { self.maxAlerts[tier] ?? 0 }
}
