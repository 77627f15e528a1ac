import FinanceCore
import FinanceStorage

extension AlertProbe {
    /// The probe of a running instance: history and minute bars from the store, the quote book's price, the
    /// portfolio valuation's value, the sector index's level and the recent live signals.
    public static func live(
        barQueries: BarQueryService, book: QuoteBook, valuation: PortfolioValuation, sectors: SectorIndex,
        signals: RecentSignals, clock: any WallClock
    ) -> AlertProbe {
        AlertProbe(
            history: AlertEvaluationService.storageHistory(barQueries),
            bars: { symbol, interval, from, to in
                try await barQueries.bars(
                    symbol: symbol, interval: interval, from: from, to: to, limit: BarQueryService.maxLimit, now: to)
            },
            current: { target, _ in
                switch target {
                case .symbol(let symbol):
                    guard let quote = try? await book.quote(symbol: symbol) else { return nil }
                    return Current(
                        value: quote.price, ts: quote.ts, previousClose: quote.change.map { quote.price - $0 })
                case .portfolio(let id):
                    guard let value = try? await valuation.value(id: id)?.value else { return nil }
                    return Current(value: value, ts: clock.nowMilliseconds())
                case .sector(let name):
                    guard let level = sectors.level(of: name) else { return nil }
                    return Current(value: level, ts: clock.nowMilliseconds())
                }
            },
            signals: { symbol in signals.signals(symbol: symbol, kind: .pattern, limit: 1_000) })
    }
}
