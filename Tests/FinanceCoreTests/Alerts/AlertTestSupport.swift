import XCTest

@testable import FinanceCore

/// Real daily history (S&P 500 1999–2018) fed to the alert engine: each day's close as a tick at 20:00 UTC,
/// then the closed daily bar.
enum AlertReplay {
    static let symbol = "SPX"
    /// A tick's offset in its day: 20:00 UTC.
    static let closeOffset: Int64 = 72_000_000

    static func sp500() throws -> [Bar] { try RealHistoryTests.sp500() }

    static func alert(
        _ id: String, _ conditions: [AlertCondition], target: AlertTarget = .symbol(symbol),
        combine: AlertCombine = .all, trigger: AlertTrigger = .everyTime(cooldownSeconds: 0), createdAt: Int64 = 0,
        expiresAt: Int64? = nil, enabled: Bool = true
    ) -> Alert {
        Alert(
            id: id, owner: "ann", name: id, target: target, conditions: conditions, combine: combine, trigger: trigger,
            expiresAt: expiresAt, enabled: enabled, createdAt: createdAt)
    }

    /// Feeds each bar's close as a tick, then (when `bars`) the closed bar; returns every firing.
    static func replay(
        _ engine: AlertEngine, _ history: [Bar], symbol: String = symbol, closedBars: Bool = true
    ) -> [AlertFiring] {
        var firings: [AlertFiring] = []
        for bar in history {
            firings += engine.process(symbol: symbol, ts: bar.ts + closeOffset, price: bar.close)
            if closedBars { firings += engine.process(symbol: symbol, interval: .day1, bar: bar) }
        }
        return firings
    }

    /// The firings of `id`.
    static func of(_ id: String, _ firings: [AlertFiring]) -> [AlertFiring] { firings.filter { $0.alertId == id } }

    /// The tick time of the first bar meeting `predicate`.
    static func tickTime(_ history: [Bar], where predicate: (Bar) -> Bool) -> Int64? {
        history.first(where: predicate).map { $0.ts + closeOffset }
    }

    /// The close time of bar `i` (a daily bar closes at the next midnight).
    static func closeTime(_ history: [Bar], _ i: Int) -> Int64 { history[i].ts + 86_400_000 }
}
