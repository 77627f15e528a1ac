import FinanceApp
import FinanceCore
import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import Logging
import Synchronization
import XCTest

@testable import FinanceApp

/// The evaluation service on a real market bus: coalesced bursts keep their crossings, only local live events are
/// evaluated, technical series warm up from a real SQLite store, and state is saved at shutdown.
final class AlertEvaluationServiceTests: TemporaryFolderTestCase {
    let t0: Int64 = 1_704_067_200_000

    /// Firings received, and a gate that holds the evaluator inside `onFirings` while closed.
    final class Sink: Sendable {
        let firings = Mutex<[AlertFiring]>([])
        let states = Mutex<[String: [String: Double]]>([:])
        let gateOpen = Atomic<Bool>(true)

        func take(_ batch: [AlertFiring]) async {
            self.firings.withLock { $0 += batch }
            while !self.gateOpen.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(5)) }
        }

        var all: [AlertFiring] { self.firings.withLock { $0 } }
    }

    func alert(_ id: String, _ symbol: String, _ conditions: [AlertCondition]) -> Alert {
        Alert(
            id: id, owner: "ann", name: id, target: .symbol(symbol), conditions: conditions,
            trigger: .everyTime(cooldownSeconds: 0), createdAt: 0)
    }

    func service(
        bus: any MarketBus, sink: Sink, alerts: [Alert] = [], history: AlertEvaluationService.HistoryLoader? = nil
    ) -> AlertEvaluationService {
        AlertEvaluationService(
            bus: bus, analytics: nil, load: { alerts.map { ($0, nil) } }, history: history,
            saveStates: { states in sink.states.withLock { $0.merge(states) { $1 } } }, logger: Logger(label: "test"),
            onFirings: { await sink.take($0) })
    }

    func wait(_ what: String, _ condition: () -> Bool) async throws {
        let held = try await waitUntil(every: .milliseconds(5), condition)
        if !held { XCTFail("timed out waiting for \(what)") }
    }

    func tick(_ symbol: String, _ k: Int64, _ price: Double) -> MarketEvent {
        .tick(Tick(symbol: symbol, ts: self.t0 + k, price: price))
    }

    func testACrossingInsideACoalescedBurstFiresAndRelayedOrHistoricalTicksAreNotEvaluated() async throws {
        let bus = InProcessMarketBus()
        let sink = Sink()
        let service = self.service(
            bus: bus, sink: sink,
            alerts: [self.alert("gate", "GATE", [.priceAbove(10)]), self.alert("btc", "BTC", [.priceCrossingUp(101)])])
        let task = Task { try await service.run() }
        bus.publish([self.tick("BTC", 1, 100)])
        // Ticks relayed from another instance, or history, never fire here.
        bus.publish([MarketMessage(self.tick("BTC", 2, 105), origin: .remote)])
        bus.publish([self.tick("BTC", 3, 106)], freshness: .historical)
        sink.gateOpen.store(false, ordering: .releasing)
        bus.publish([self.tick("GATE", 4, 11)])
        try await self.wait("the gate alert") { sink.all.map(\.alertId) == ["gate"] }
        // While the evaluator is held, a burst crosses 101 and falls back: only low, high and last are kept.
        let burst: [Double] = [100.2, 100.8, 102.5, 101.7, 99.1, 99.6, 100.4]
        bus.publish(burst.enumerated().map { self.tick("BTC", 10 + Int64($0.offset), $0.element) })
        try await self.wait("the burst in the inbox") { service.inbox.waitingTicks == burst.count }
        sink.gateOpen.store(true, ordering: .releasing)
        try await self.wait("the crossing") { sink.all.count == 2 }
        let crossing = sink.all[1]
        XCTAssertEqual(crossing.alertId, "btc")
        XCTAssertEqual(crossing.value, 102.5)
        XCTAssertEqual(crossing.ts, self.t0 + 12)
        XCTAssertEqual(crossing.event, "tick:\(self.t0 + 12)")
        // The remote and historical ticks left the price where the local one put it: 100, so 102.5 crossed.
        task.cancel()
        try await task.value
        XCTAssertEqual(sink.states.withLock { $0["btc"]?["c0"] }, 100.4, "the state is saved at shutdown")
        XCTAssertEqual(sink.states.withLock { $0["btc"]?["firedAt"] }, Double(self.t0 + 12))
    }

    func testControlChangesApplyInOrderAndPortfolioValuesFire() async throws {
        let bus = InProcessMarketBus()
        let sink = Sink()
        let service = self.service(bus: bus, sink: sink)
        let task = Task { try await service.run() }
        service.control.add(self.alert("a", "ETH", [.priceCrossingDown(2_000)]))
        service.control.add(
            Alert(
                id: "p", owner: "ann", name: "p", target: .portfolio("p1"), conditions: [.portfolioValueAbove(5_000)],
                trigger: .once, createdAt: 0))
        service.control.process(target: .portfolio("p1"), value: 4_000, ts: self.t0)
        service.control.process(target: .portfolio("p1"), value: 5_500, ts: self.t0 + 1)
        try await self.wait("the portfolio alert") { sink.all.map(\.alertId) == ["p"] }
        bus.publish([self.tick("ETH", 2, 2_100)])
        try await self.wait("the first price") { service.inbox.waitingTicks == 0 }
        service.control.remove(id: "a")
        bus.publish([self.tick("ETH", 3, 1_900)])
        service.control.add(self.alert("b", "ETH", [.priceBelow(1_950)]))
        bus.publish([self.tick("ETH", 4, 1_800)])
        try await self.wait("the level alert") { sink.all.count == 2 }
        XCTAssertEqual(sink.all.map(\.alertId), ["p", "b"])
        task.cancel()
        try await task.value
    }

    func testTheControlKnowsWhichPortfoliosAndSectorsAlertsWatch() async throws {
        let sector = Alert(
            id: "s", owner: "ann", name: "s", target: .sector("Energy"),
            conditions: [.sectorMove(percent: 2, windowMinutes: 60)],
            createdAt: 0)
        let service = self.service(bus: InProcessMarketBus(), sink: Sink(), alerts: [sector])
        let control = service.control
        let task = Task { try await service.run() }
        try await self.wait("the loaded alerts") { control.watches(.sector("Energy")) }
        XCTAssertFalse(control.watches(.portfolio("p1")))
        let portfolio = Alert(
            id: "p", owner: "ann", name: "p", target: .portfolio("p1"), conditions: [.portfolioValueAbove(5_000)],
            createdAt: 0)
        control.add(portfolio)
        var twin = portfolio
        twin.id = "q"
        control.add(twin)
        XCTAssertTrue(control.watches(.portfolio("p1")))
        control.remove(id: "p")
        XCTAssertTrue(control.watches(.portfolio("p1")), "q still watches it")
        var moved = twin
        moved.target = .symbol("AAPL")
        moved.conditions = [.priceAbove(1)]
        control.update(moved)
        XCTAssertFalse(control.watches(.portfolio("p1")))
        XCTAssertFalse(control.watches(.symbol("AAPL")), "symbols are not watched targets")
        control.remove(id: "s")
        XCTAssertFalse(control.watches(.sector("Energy")))
        task.cancel()
        try await task.value
    }

    func testTechnicalSeriesWarmUpFromTheStoreBeforeTheFirstLiveBar() async throws {
        let store = try SQLiteStore(path: self.path("alerts.sqlite"))
        _ = try await store.migrate()
        try await store.createAsset(Asset(symbol: "WARM"))
        // Fifty stored minutes drifting up (fewer than the 56 the RSI asks for: the batch reference sees the same
        // bars), then live minutes falling: the RSI crosses 30 a few minutes in.
        func bar(_ k: Int, _ close: Double) -> Bar {
            Bar(
                ts: self.t0 + Int64(k) * 60_000, open: close, high: close + 0.3, low: close - 0.3, close: close,
                volume: 10)
        }
        let stored = (0..<50).map { bar($0, 100 + Double($0) * 0.1 + ($0 % 3 == 0 ? -0.25 : 0)) }
        try await store.writeBars(BarBatch(symbol: "WARM", interval: .minute1, bars: stored))
        let live = (50..<70).map { bar($0, 105 - Double($0 - 50) * 0.6) }
        let all = stored + live
        let rsi = IndicatorEngine.compute([try IndicatorSpec(.rsi, [14])], on: try OHLCVSeries(bars: all))[0].values
        // The last live bar never closes (nothing newer comes).
        let first = try XCTUnwrap((50..<69).first { rsi[$0 - 1] > 30 && rsi[$0] <= 30 })
        let bus = InProcessMarketBus()
        let sink = Sink()
        let service = self.service(
            bus: bus, sink: sink,
            alerts: [self.alert("rsi", "WARM", [.rsiOversold(period: 14, level: 30, interval: .minute1)])],
            history: AlertEvaluationService.storageHistory(BarQueryService(storage: Storage(store))))
        let task = Task { try await service.run() }
        for b in live {
            // Each minute arrives as two versions, the way a live bar is re-published.
            var early = b
            early.close = b.open
            bus.publish([.bar(symbol: "WARM", interval: .minute1, bar: early, batchStart: nil)])
            bus.publish([.bar(symbol: "WARM", interval: .minute1, bar: b, batchStart: nil)])
        }
        try await self.wait("the RSI alert") { !sink.all.isEmpty }
        XCTAssertEqual(sink.all.first?.ts, all[first].ts + 60_000)
        XCTAssertEqual(sink.all.first?.value ?? 0, rsi[first], accuracy: 1e-9)
        task.cancel()
        try await task.value
        try await store.close()
    }
}
