import ArgumentParser
import FinanceCore
import Foundation

/// `financehub bench alerts`: the alert engine's cost per tick when nothing fires.
struct BenchAlerts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract:
            "Alert engine cost per tick with nothing firing: median and p99 over active alerts (70% price, 10% percent change, 10% RSI, 10% MA cross), best of N runs."
    )

    @Option(help: "Active alerts.") var alerts = 100_000
    @Option(help: "Symbols they watch.") var symbols = 500
    @Option(help: "Ticks per run.") var ticks = 1_000_000
    @Option(help: "Runs; the best is reported.") var runs = 5

    func validate() throws {
        try BenchLimits.atLeastOne(self.alerts, "--alerts")
        try BenchLimits.atLeastOne(self.symbols, "--symbols")
        try BenchLimits.atLeastOne(self.ticks, "--ticks")
        try BenchLimits.atLeastOne(self.runs, "--runs")
    }

    func run() async throws {
        let bench = AlertBenchmark(alerts: self.alerts, symbols: self.symbols)
        Console.info("building \(self.alerts) alerts over \(self.symbols) symbols...")
        let engine = bench.makeEngine()
        Console.info("warming up the bar series with 250 closed bars each...")
        let warmFirings = bench.warmUp(engine)
        var best: AlertBenchmark.Result?
        for run in 1...self.runs {
            let result = bench.timeTicks(engine, count: self.ticks, run: run)
            Console.info(
                String(
                    format: "run %d: median %.0f ns, p99 %.0f ns, mean %.0f ns per tick, %d firings", run,
                    result.median, result.p99, result.mean, result.firings))
            if best.map({ result.median < $0.median }) ?? true { best = result }
        }
        guard let best else { return }
        guard best.firings == 0 else {
            throw CLIFailure("\(best.firings) alerts fired: the benchmark measures ticks that fire nothing")
        }
        try Output.line(
            String(
                format:
                    "alerts_tick_median %.0f ns\nalerts_tick_p99 %.0f ns\nalerts_tick_mean %.0f ns\n(best of %d runs of %d ticks; %d active alerts over %d symbols; %d firings while warming up)",
                best.median, best.p99, best.mean, self.runs, self.ticks, engine.count, self.symbols, warmFirings))
    }
}

/// The synthetic alerts and ticks of `bench alerts`.
struct AlertBenchmark {
    let alerts: Int
    let symbols: Int
    static let periods = [9, 14, 21, 50, 200]
    /// 2025-01-01T00:00:00Z.
    static let start: Int64 = 1_735_689_600_000

    struct Result {
        var median: Double
        var p99: Double
        var mean: Double
        var firings: Int
    }

    /// A deterministic generator (64-bit LCG).
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state = self.state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return self.state >> 11
        }
        mutating func uniform() -> Double { Double(self.next()) / 9_007_199_254_740_992.0 }
        mutating func pick<T>(_ a: [T]) -> T { a[Int(self.next() % UInt64(a.count))] }
    }

    func symbol(_ i: Int) -> String { "BA\(i)" }
    func base(_ i: Int) -> Double { 20 + Double(i % 97) * 7.5 }

    /// 70% price thresholds 5–50% away from the price, 10% percent changes of ±5–20%, 10% RSI crossings,
    /// 10% moving-average crosses, periods drawn from 9, 14, 21, 50, 200; every alert `every_time`.
    func makeEngine() -> AlertEngine {
        let engine = AlertEngine()
        var random = Random(state: 42)
        let intervals: [Interval] = [.minute1, .minute5, .hour1]
        for n in 0..<self.alerts {
            let s = n % self.symbols
            let base = self.base(s)
            let away = 0.05 + random.uniform() * 0.45
            let kind = n % 10
            let condition: AlertCondition
            switch kind {
            case 0..<7:
                switch random.next() % 4 {
                case 0: condition = .priceAbove(base * (1 + away))
                case 1: condition = .priceBelow(base * (1 - away))
                case 2: condition = .priceCrossingUp(base * (1 + away))
                default: condition = .priceCrossingDown(base * (1 - away))
                }
            case 7:
                let percent = (5 + random.uniform() * 15) * (random.next() % 2 == 0 ? 1 : -1)
                let window: PercentWindow =
                    random.next() % 2 == 0
                    ? .minutes(random.pick(Self.periods)) : .bars(random.pick(Self.periods), .minute1)
                condition = .percentChange(percent: percent, window: window)
            case 8:
                let period = random.pick(Self.periods)
                condition =
                    random.next() % 2 == 0
                    ? .rsiOverbought(period: period, level: 70, interval: random.pick(intervals))
                    : .rsiOversold(period: period, level: 30, interval: random.pick(intervals))
            default:
                var fast = random.pick(Self.periods)
                var slow = random.pick(Self.periods)
                if fast == slow { slow = fast == 200 ? 50 : 200 }
                if fast > slow { swap(&fast, &slow) }
                let average: MovingAverageKind = random.next() % 2 == 0 ? .sma : .ema
                condition =
                    random.next() % 2 == 0
                    ? .goldenCross(fast: fast, slow: slow, average: average, interval: random.pick(intervals))
                    : .deathCross(fast: fast, slow: slow, average: average, interval: random.pick(intervals))
            }
            engine.add(
                Alert(
                    id: "a\(n)", owner: "u\(n % 1_000)", name: "bench \(n)", target: .symbol(self.symbol(s)),
                    conditions: [condition], trigger: .everyTime(cooldownSeconds: 60), createdAt: 0))
        }
        return engine
    }

    /// Feeds every bar series 250 flat-ish closed bars of its interval and every symbol a first price (so that
    /// level alerts have been judged); returns the firings (none expected).
    func warmUp(_ engine: AlertEngine) -> Int {
        for request in engine.warmUpRequests() {
            guard let s = Int(request.symbol.dropFirst(2)) else { continue }
            let base = self.base(s)
            let step = request.interval.nominalMilliseconds
            let bars = (0..<250).map { k -> Bar in
                let close = base * (1 + 0.001 * sin(Double(k) / 7))
                return Bar(
                    ts: request.interval.bucketStart(Self.start) - Int64(250 - k) * step, open: close,
                    high: close * 1.0005, low: close * 0.9995, close: close, volume: 100)
            }
            engine.warmUp(symbol: request.symbol, interval: request.interval, bars: bars)
        }
        var firings = 0
        for s in 0..<self.symbols {
            firings += engine.process(symbol: self.symbol(s), ts: Self.start - 1, price: self.base(s)).count
        }
        return firings
    }

    /// Times `count` ticks one by one (prices within ±1% of each symbol's base, symbols in random order, 10 ms
    /// apart, later runs continuing the clock).
    func timeTicks(_ engine: AlertEngine, count: Int, run: Int) -> Result {
        var random = Random(state: UInt64(run) &* 7_919)
        var symbols: [String] = []
        var prices: [Double] = []
        symbols.reserveCapacity(count)
        prices.reserveCapacity(count)
        for _ in 0..<count {
            let s = Int(random.next() % UInt64(self.symbols))
            symbols.append(self.symbol(s))
            prices.append(self.base(s) * (1 + (random.uniform() - 0.5) * 0.02))
        }
        let t0 = Self.start + Int64(run - 1) * Int64(count) * 10
        var samples = [UInt64](repeating: 0, count: count)
        var firings = 0
        var total: UInt64 = 0
        for i in 0..<count {
            let before = Self.nanoseconds()
            let fired = engine.process(symbol: symbols[i], ts: t0 + Int64(i) * 10, price: prices[i])
            let elapsed = Self.nanoseconds() - before
            samples[i] = elapsed
            total += elapsed
            firings += fired.count
        }
        samples.sort()
        return Result(
            median: Double(samples[count / 2]), p99: Double(samples[min(count - 1, count * 99 / 100)]),
            mean: Double(total) / Double(count), firings: firings)
    }

    static func nanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
