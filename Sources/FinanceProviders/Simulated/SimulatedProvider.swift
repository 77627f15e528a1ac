import FinanceCore
import Synchronization

/// The simulated market as a provider: live trades of its instruments in real time (deterministic for a seed),
/// and their assets by symbol. It needs no network and no key.
public struct SimulatedProvider: LiveTradeProvider, SymbolSearchProvider {
    public let name = "simulated"
    public let capabilities: Set<ProviderCapability> = [.liveTrades, .symbolSearch]
    public let instruments: [SimulatedInstrument]
    public let seed: UInt64
    public let ticksPerSecond: Double
    let clock: any WallClock

    public init(
        instruments: [SimulatedInstrument] = SimulatedInstrument.defaultWatchlist, seed: UInt64 = 42,
        ticksPerSecond: Double = 4, clock: any WallClock = SystemClock()
    ) {
        self.instruments = instruments
        self.seed = seed
        self.ticksPerSecond = ticksPerSecond
        self.clock = clock
    }

    /// The simulated instruments' assets matching `text` by symbol (exactly, case-insensitively).
    public func searchAssets(_ text: String) async throws -> [Asset] {
        self.instruments.map(\.asset).filter { $0.symbol == text.uppercased() }
    }

    /// One batch per tick period: every step due since the previous batch, each step a tick of every instrument
    /// in `symbols`. Steps are paced by deadline, so the rate holds when the consumer takes longer than a period
    /// (it then gets several steps at once).
    public func trades(symbols: [String]) -> AsyncThrowingStream<[Tick], any Error> {
        let wanted = Set(symbols)
        let steps = SimulatedSteps(
            market: SimulatedMarket(
                instruments: self.instruments.filter { wanted.contains($0.asset.symbol) }, seed: self.seed,
                ticksPerSecond: self.ticksPerSecond),
            ticksPerSecond: self.ticksPerSecond, clock: self.clock)
        return AsyncThrowingStream(unfolding: { try await steps.next() })
    }
}

/// The state of one simulated trade stream. `AsyncThrowingStream(unfolding:)` calls `next` for one consumer at a
/// time, never concurrently; the lock only makes that visible to the compiler.
final class SimulatedSteps: Sendable {
    private struct State {
        var market: SimulatedMarket
        var pace: FeedPace
        var lastTs = Int64.min
    }

    private let state: Mutex<State>
    private let clock: any WallClock
    /// The time between steps in a catch-up batch, in whole ms (ticks of one symbol never share a time).
    private let stepMs: Int64

    init(market: SimulatedMarket, ticksPerSecond: Double, clock: any WallClock) {
        let period = Duration.nanoseconds(Int64(1e9 / max(ticksPerSecond, 0.001)))
        self.state = Mutex(State(market: market, pace: FeedPace(period: period, start: ContinuousClock.now)))
        self.clock = clock
        self.stepMs = max(1, Int64((1000 / max(ticksPerSecond, 0.001)).rounded()))
    }

    /// Sleeps until the next step is due, then returns the ticks of every step due (nil when cancelled).
    func next() async throws -> [Tick]? {
        let deadline = self.state.withLock { $0.pace.next }
        do { try await Task.sleep(until: deadline, clock: ContinuousClock()) } catch { return nil }
        let now = self.clock.nowMilliseconds()
        let stepMs = self.stepMs
        return self.state.withLock { s in
            let due = s.pace.due(at: ContinuousClock.now)
            var ticks: [Tick] = []
            for k in 0..<due {
                let ts = max(now - Int64(due - 1 - k) * stepMs, s.lastTs + 1)
                s.lastTs = ts
                ticks += s.market.step(ts: ts)
            }
            return ticks
        }
    }
}

/// Deadline pacing of the simulated feed: steps fall due every `period` from `start`, whatever each ingest takes.
struct FeedPace {
    let period: Duration
    /// When the next step falls due.
    private(set) var next: ContinuousClock.Instant
    /// The most steps one batch catches up; beyond it (the process was stalled) the missed steps are skipped.
    static let maxCatchUp = 1_000

    init(period: Duration, start: ContinuousClock.Instant) {
        self.period = period
        self.next = start + period
    }

    /// The number of steps due at `now` (at least 1: the caller slept until `next`), and advances `next` past them.
    mutating func due(at now: ContinuousClock.Instant) -> Int {
        var count = 1
        self.next += self.period
        while self.next <= now && count < Self.maxCatchUp {
            count += 1
            self.next += self.period
        }
        if self.next <= now { self.next = now + self.period }
        return count
    }
}
