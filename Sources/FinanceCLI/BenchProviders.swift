import ArgumentParser
import Foundation
import Logging

/// `financehub bench providers`: the acceptance figures of the market-data providers (failover, budgets, live
/// ingest) against the local fakes, as a table on stdout with PASS/FAIL per target (progress on stderr). Exits 0
/// when the benchmark ran, whether or not the targets were met.
struct BenchProviders: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "providers",
        abstract:
            "Provider layer against the fakes: failover latency, per-key budgets under load, live ingest lag and loss.")

    enum Scenario: String, CaseIterable, ExpressibleByArgument {
        case failover, budgets, live
    }

    @Option(
        name: .customLong("scenario"),
        help: "Scenarios to run (repeatable: failover, budgets, live; default all).")
    var scenarios: [Scenario] = []

    @Option(help: "Failover: quote requests (one distinct symbol each).") var requests = 1_000
    @Option(help: "Failover and budgets: concurrent requests.") var concurrency = 16
    @Option(help: "Failover: the providers' timeout in seconds.") var timeout = 1.0
    @Option(help: "Failover: the primary's share of HTTP 500 answers.") var errorRate = 0.3
    @Option(help: "Failover: the primary's share of requests never answered.") var timeoutRate = 0.1
    @Option(help: "Failover: seed of the fake's random faults (2: the primary's first requests include timeouts).")
    var seed: UInt64 = 2
    @Option(help: "Budgets: quote requests in total.") var budgetRequests = 10_000
    @Option(help: "Budgets: distinct symbols asked.") var budgetSymbols = 50
    @Option(help: "Budgets: the key's budget per minute.") var budgetPerMinute = 5
    @Option(help: "Budgets: minutes of the fake clock the requests are spread over.") var budgetMinutes = 10
    @Option(help: "Live: trades per second published.") var tradeRate = 5_000
    @Option(help: "Live: symbols streamed.") var tradeSymbols = 20
    @Option(help: "Live: seconds of publishing (connections are dropped half way).") var tradeSeconds = 4.0
    @Option(help: "Live: the lag target (p99, ms).") var lagTarget = 50.0

    func validate() throws {
        for (value, name) in [
            (self.requests, "--requests"), (self.concurrency, "--concurrency"),
            (self.budgetRequests, "--budget-requests"), (self.budgetSymbols, "--budget-symbols"),
            (self.budgetPerMinute, "--budget-per-minute"), (self.budgetMinutes, "--budget-minutes"),
            (self.tradeRate, "--trade-rate"), (self.tradeSymbols, "--trade-symbols"),
        ] {
            try BenchLimits.atLeastOne(value, name)
        }
        guard self.timeout.isFinite, self.timeout > 0 else {
            throw ArgumentParser.ValidationError("--timeout must be a positive number of seconds")
        }
        guard self.tradeSeconds.isFinite, self.tradeSeconds > 0 else {
            throw ArgumentParser.ValidationError("--trade-seconds must be a positive number of seconds")
        }
        for (rate, name) in [(self.errorRate, "--error-rate"), (self.timeoutRate, "--timeout-rate")] {
            guard rate.isFinite, (0...1).contains(rate) else {
                throw ArgumentParser.ValidationError("\(name) must be in 0...1")
            }
        }
        guard self.errorRate + self.timeoutRate <= 1 else {
            throw ArgumentParser.ValidationError("--error-rate plus --timeout-rate must be at most 1")
        }
        guard self.lagTarget.isFinite, self.lagTarget > 0 else {
            throw ArgumentParser.ValidationError("--lag-target must be positive")
        }
    }

    func run() async throws {
        LoggingSetup.bootstrap(level: .warning)
        var logger = Logger(label: "financehub.bench")
        logger.logLevel = .warning
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("financehub-providers-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let chosen = self.scenarios.isEmpty ? Scenario.allCases : Scenario.allCases.filter(self.scenarios.contains)
        var table = BenchTable()
        for scenario in chosen {
            switch scenario {
            case .failover:
                let config = ProviderBenchmark.FailoverConfig(
                    requests: self.requests, concurrency: self.concurrency, timeoutSeconds: self.timeout,
                    serverErrorRate: self.errorRate, timeoutRate: self.timeoutRate, seed: self.seed)
                table.add(try await ProviderBenchmark.failover(config, folder: folder, logger: logger))
            case .budgets:
                let config = ProviderBenchmark.BudgetConfig(
                    requests: self.budgetRequests, symbols: self.budgetSymbols, perMinute: self.budgetPerMinute,
                    minutes: self.budgetMinutes, concurrency: self.concurrency)
                table.add(try await ProviderBenchmark.budgets(config, folder: folder, logger: logger))
            case .live:
                let config = ProviderBenchmark.LiveConfig(
                    ratePerSecond: self.tradeRate, symbols: self.tradeSymbols, seconds: self.tradeSeconds)
                table.add(
                    try await ProviderBenchmark.live(config, folder: folder, logger: logger),
                    lagTarget: self.lagTarget)
            }
        }
        try Output.write(table.text, to: nil)
    }
}

/// The result table of `bench providers`: scenario, figure, value, target, PASS/FAIL (blank for plain figures).
struct BenchTable {
    struct Row {
        var scenario: String
        var figure: String
        var value: String
        var target: String = ""
        var verdict: Bool?
    }

    var rows: [Row] = []
    /// How each scenario was set up, printed above the table.
    var setups: [String] = []

    /// Each target's verdict, in order.
    var verdicts: [Bool] { self.rows.compactMap(\.verdict) }

    mutating func add(_ scenario: String, _ figure: String, _ value: String, target: String = "", pass: Bool? = nil) {
        self.rows.append(Row(scenario: scenario, figure: figure, value: value, target: target, verdict: pass))
    }

    mutating func add(_ r: ProviderBenchmark.FailoverResult) {
        let c = r.config
        let setup = String(
            format:
                "%d requests, %d distinct symbols, concurrency %d, timeout %.2f s; primary finnhub %.0f %% HTTP 500 + %.0f %% no answer, secondary polygon",
            c.requests, c.requests, c.concurrency, c.timeoutSeconds, c.serverErrorRate * 100, c.timeoutRate * 100)
        self.setups.append("failover: " + setup)
        self.add(
            "failover", "answered (flaky primary)",
            "\(r.flaky.succeeded)/\(c.requests) (wrong price \(r.flaky.wrongPrices))",
            target: "all", pass: r.allSucceeded)
        for (name, run) in [("healthy", r.healthy), ("flaky", r.flaky)] {
            self.add(
                "failover", "\(name) p50 / p99 (max)",
                String(format: "%.2f / %.2f ms (%.2f)", run.p50, run.p99, run.max))
        }
        self.add(
            "failover", "added latency p99(flaky) - p99(healthy)", String(format: "%.2f ms", r.addedP99),
            target: String(format: "<= %.0f ms", r.addedTarget), pass: r.addedP99 <= r.addedTarget)
        self.add(
            "failover", "worst request (flaky) - p99(healthy)",
            String(
                format: "%.2f ms (%d requests waited for a primary timeout)", r.addedWorst,
                r.flaky.slowerThan(c.timeoutSeconds)),
            target: String(format: "<= %.0f ms", r.addedTarget), pass: r.addedWorst <= r.addedTarget)
        let sources = r.flaky.sources.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        self.add("failover", "answers by provider (flaky)", sources)
        self.add(
            "failover", "primary at the end (flaky)",
            String(format: "score %.1f, circuit ", r.flaky.primaryScore)
                + "\(r.flaky.primaryCircuit), \(r.flaky.primaryRequests) requests received")
        self.add(
            "failover", "run time healthy / flaky", String(format: "%.2f / %.2f s", r.healthy.seconds, r.flaky.seconds))
    }

    mutating func add(_ r: ProviderBenchmark.BudgetResult) {
        let c = r.config
        self.setups.append(
            "budgets: \(c.requests) requests, \(c.symbols) symbols, concurrency \(c.concurrency), polygon, 1 key, budget "
                + "\(c.perMinute)/min, quote cache 15 s; fake clock: \(c.minutes) minutes, "
                + "\(c.requests / max(1, c.minutes)) requests a minute (\(String(format: "%.1f", r.seconds)) s of wall time)"
        )
        let perMinute = r.perMinute.map { String($0.values.max() ?? 0) }.joined(separator: " ")
        self.add(
            "budgets", "upstream calls per minute per key (max)", "\(r.maxPerMinute) (minutes: \(perMinute))",
            target: "<= \(c.perMinute)", pass: r.withinBudget)
        self.add("budgets", "upstream calls in total", "\(r.upstream)")
        self.add("budgets", "answered from the cache (or coalesced)", "\(r.fromCache)")
        self.add("budgets", "503 with Retry-After", "\(r.unavailableWithRetryAfter)")
        self.add(
            "budgets", "accounted for (upstream + cache + 503)",
            "\(r.upstream + r.fromCache + r.unavailable)/\(c.requests) (503 without Retry-After \(r.unavailable - r.unavailableWithRetryAfter), other errors \(r.otherErrors))",
            target: "all", pass: r.accountedFor)
    }

    mutating func add(_ r: ProviderBenchmark.LiveResult, lagTarget: Double) {
        let c = r.config
        self.setups.append(
            "live: "
                + String(
                    format:
                        "fake binance, %d trades/s, %d symbols, %.1f s, LiveFeedService -> Ingestor -> SQLite + InProcessMarketBus",
                    c.ratePerSecond, c.symbols, c.seconds))
        self.add(
            "live", "lag E -> bus p50 / p99",
            String(format: "%.2f / %.2f ms (max %.2f)", r.p50, r.p99, r.lags.max() ?? 0),
            target: String(format: "p99 <= %.0f ms", lagTarget), pass: !r.lags.isEmpty && r.p99 <= lagTarget)
        self.add(
            "live", "of which E -> feed p50 / p99",
            String(
                format: "%.2f / %.2f ms (the rest: the feed's queue, ingest, store, bus)",
                BenchStats.percentile(r.streamLags, 0.5), BenchStats.percentile(r.streamLags, 0.99)))
        self.add(
            "live", "stored / delivered while connected",
            "\(r.stored)/\(r.deliveredWhileConnected) (lost on bus \(r.lostOnBus), lost in store \(r.lostInStore), duplicates \(r.duplicatesStored))",
            target: "no loss", pass: r.noLoss && r.deliveredWhileConnected > 0)
        self.add(
            "live", "drop in the middle",
            "\(r.drops) drop, \(r.reconnects) reconnect, \(r.gaps) gap of \(r.gapMilliseconds) ms (logged), "
                + "\(r.publishedWhileDisconnected) of \(r.published) trades published during it",
            target: "1 gap counted", pass: r.drops == 1 && r.gaps == 1)
        self.add(
            "live", "quote follows the last price (book and store)",
            "\(r.quotesFollowing)/\(c.symbols) (book applied \(r.bookInPlace) ticks in place)",
            target: "all", pass: r.quotesFollowing == c.symbols && r.quotesChecked == c.symbols)
    }

    /// The table, columns padded, with a last line counting the targets met.
    var text: String {
        let header = Row(scenario: "scenario", figure: "figure", value: "value", target: "target", verdict: nil)
        let all = [header] + self.rows
        var widths = [0, 0, 0, 0]
        for row in all {
            let cells: [String] = [row.scenario, row.figure, row.value, row.target]
            for (column, cell) in cells.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
        var lines: [String] = []
        for (index, row) in all.enumerated() {
            let verdict = index == 0 ? "result" : row.verdict.map { $0 ? "PASS" : "FAIL" } ?? ""
            var line = [
                pad(row.scenario, widths[0]), pad(row.figure, widths[1]), pad(row.value, widths[2]),
                pad(row.target, widths[3]), verdict,
            ].joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            lines.append(line)
        }
        lines = self.setups + [""] + lines
        let passed = self.verdicts.filter { $0 }.count
        lines.append("targets met: \(passed)/\(self.verdicts.count)")
        return lines.joined(separator: "\n") + "\n"
    }
}
