import FinanceCore
import FinanceStorage

/// The most requests one key may make per calendar second, minute, day and month (UTC), as the provider counts them
/// (`providers.<name>.budgets.*`); nil means no limit for that window.
public struct ProviderBudget: Sendable, Equatable {
    public var perSecond: Int?
    public var perMinute: Int?
    public var perDay: Int?
    public var perMonth: Int?

    public init(perSecond: Int? = nil, perMinute: Int? = nil, perDay: Int? = nil, perMonth: Int? = nil) {
        self.perSecond = perSecond
        self.perMinute = perMinute
        self.perDay = perDay
        self.perMonth = perMonth
    }

    /// The free-plan limits of each provider (../shared/reference/providers.md, late 2025); configuration overrides
    /// them, as free tiers change.
    public static func defaults(for provider: String) -> ProviderBudget {
        switch provider {
        case "alphavantage": return ProviderBudget(perDay: 25)
        case "coingecko": return ProviderBudget(perMinute: 30, perMonth: 10_000)
        case "coinmarketcap": return ProviderBudget(perMinute: 30, perMonth: 10_000)
        case "polygon": return ProviderBudget(perMinute: 5)
        case "finnhub": return ProviderBudget(perSecond: 30, perMinute: 60)
        case "newsapi": return ProviderBudget(perDay: 100)
        default: return ProviderBudget()
        }
    }

    /// True when no window is limited.
    public var isUnlimited: Bool { self.windows(at: 0).isEmpty }

    /// The limited windows that contain `now` (ms), shortest first.
    public func windows(at now: Int64) -> [BudgetWindow] {
        var out: [BudgetWindow] = []
        if let perSecond {
            let start = now - ((now % 1_000) + 1_000) % 1_000
            out.append(BudgetWindow(kind: .second, start: start, end: start + 1_000, limit: perSecond))
        }
        for (limit, kind, interval) in [
            (self.perMinute, BudgetWindow.Kind.minute, Interval.minute1), (self.perDay, .day, .day1),
            (self.perMonth, .month, .month1),
        ] {
            guard let limit else { continue }
            let start = interval.bucketStart(now)
            out.append(
                BudgetWindow(kind: kind, start: start, end: interval.nextBucketStart(after: start), limit: limit))
        }
        return out
    }

    /// The shortest interval between two requests of one key that keeps within every window over a long run (ms):
    /// a poller spreads its requests at this pace.
    public var minimumSpacingMilliseconds: Int64 {
        var spacing: Int64 = 0
        let spans: [(Int?, Int64)] = [
            (self.perSecond, 1_000), (self.perMinute, 60_000), (self.perDay, 86_400_000),
            (self.perMonth, 31 * 86_400_000),
        ]
        for (limit, span) in spans {
            guard let limit else { continue }
            spacing = max(spacing, limit > 0 ? (span + Int64(limit) - 1) / Int64(limit) : .max)
        }
        return spacing
    }
}
