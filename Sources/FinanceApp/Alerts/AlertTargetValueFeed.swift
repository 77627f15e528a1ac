import FinanceCore
import ServiceLifecycle

/// Feeds the alert engine the values of portfolio and sector targets: after each live tick ingested here, the value
/// of every portfolio holding the symbol (`PortfolioValuation`, at the quote book's prices) and the level of every
/// sector it belongs to (`SectorIndex`), for the portfolios and sectors that some alert watches (the others cost a
/// tick nothing). Both follow the bus synchronously, so they already include the tick. Like the
/// engine, it takes only events ingested on this instance, so each value change is evaluated once.
public struct AlertTargetValueFeed: Service {
    private let market: AsyncStream<MarketMessage>
    private let valuation: PortfolioValuation
    private let sectors: SectorIndex
    private let control: AlertEvaluationControl

    /// Subscribes to `bus` now.
    public init(
        bus: any MarketBus, valuation: PortfolioValuation, sectors: SectorIndex, control: AlertEvaluationControl
    ) {
        self.market = bus.subscribe("alert_targets")
        self.valuation = valuation
        self.sectors = sectors
        self.control = control
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            for await message in self.market where message.isLocalLive {
                guard case .tick(let tick) = message.event else { continue }
                await self.update(symbol: tick.symbol, ts: tick.ts)
            }
        }
        // As `AlertEvaluationService`: an application run a second time idles instead of ending its group.
        try? await gracefulShutdown()
    }

    /// Sends the current values of the targets `symbol` moves.
    func update(symbol: String, ts: Int64) async {
        for id in self.valuation.portfolioIds(containing: symbol) where self.control.watches(.portfolio(id)) {
            guard let value = try? await self.valuation.value(id: id)?.value else { continue }
            self.control.process(target: .portfolio(id), value: value, ts: ts)
        }
        for sector in self.sectors.sectors(of: symbol) where self.control.watches(.sector(sector)) {
            guard let level = self.sectors.level(of: sector) else { continue }
            self.control.process(target: .sector(sector), value: level, ts: ts)
        }
    }
}
