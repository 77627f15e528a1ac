import ArgumentParser
import FinanceApp
import FinanceCore
import FinanceStorage
import Foundation
import Logging

/// `financehub bench ...`: benchmarks of the hot paths (run them from a release build).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks of the hot paths (run a release build).",
        subcommands: [
            BenchImport.self, BenchRollup.self, BenchTicks.self, BenchIndicators.self, BenchPatterns.self,
            BenchAnomalies.self, BenchProviders.self, BenchRelay.self, BenchWebSocket.self, BenchAlerts.self,
            BenchAlertDelivery.self,
        ])
}

/// Deterministic synthetic data for benchmarks.
enum SyntheticData {
    /// `count` 1-minute OHLCV bars from `start` (ms): a random walk with realistic ranges.
    static func minuteBars(count: Int, start: Int64, seed: UInt64 = 7) -> [Bar] {
        var state = seed
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / 9_007_199_254_740_992.0
        }
        var price = 100.0
        var out: [Bar] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            let open = price
            price *= 1 + (uniform() - 0.5) * 0.002
            let close = price
            let high = max(open, close) * (1 + uniform() * 0.0005)
            let low = min(open, close) * (1 - uniform() * 0.0005)
            out.append(
                Bar(
                    ts: start + Int64(i) * 60_000, open: open, high: high, low: low, close: close,
                    volume: Double(Int(uniform() * 1000))))
        }
        return out
    }

    /// The bars as CSV text with the import header.
    static func csv(_ bars: [Bar]) -> String {
        var s = "timestamp,open,high,low,close,volume\n"
        s.reserveCapacity(bars.count * 64)
        for b in bars {
            s +=
                "\(b.ts),\(Self.round(b.open)),\(Self.round(b.high)),\(Self.round(b.low)),\(Self.round(b.close)),\(Int(b.volume))\n"
        }
        return s
    }

    static func round(_ v: Double) -> Double { (v * 10_000).rounded() / 10_000 }
}

/// Timing helpers.
enum Stopwatch {
    static func time(_ body: () async throws -> Void) async rethrows -> Double {
        let start = ContinuousClock.now
        try await body()
        return Progress.seconds(ContinuousClock.now - start)
    }
}

/// The path of this executable, to run child processes of it.
enum SelfProcess {
    static var executable: String {
        let arg0 = CommandLine.arguments[0]
        if arg0.contains("/") { return URL(fileURLWithPath: arg0).standardizedFileURL.path }
        return Bundle.main.executablePath ?? arg0
    }

    /// Starts `financehub serve` (this executable unless `executable` is given) on `database` with a free port and
    /// waits until it listens; returns the process, its port and a service API key made for the run (sent as
    /// `X-API-Key`: it may ingest, and is not rate limited). `environment` is added to this process's.
    static func startServer(
        executable: String? = nil, database: String, feed: String = "simulated", environment: [String: String] = [:]
    ) throws -> (Process, Int, apiKey: String) {
        let binary = executable ?? self.executable
        _ = try self.output(binary, ["migrate", "--database", database])
        let apiKey = try self.output(binary, ["apikey", "create", "--name", "bench", "--database", database])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["serve", "--database", database, "--port", "0", "--feed", feed, "--tick-rate", "10"]
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let data = err.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            if let range = text.range(of: "listening on http://"),
                let line = text[range.upperBound...].split(separator: "\n").first,
                let port = line.split(separator: ":").last.flatMap({ Int($0) })
            {
                // Keep draining stderr so the server never blocks on a full pipe.
                err.fileHandleForReading.readabilityHandler = { _ = $0.availableData }
                return (p, port, apiKey)
            }
        }
        p.terminate()
        throw CLIFailure("the server did not start: \(text)")
    }

    /// Runs `binary` with `arguments` and returns its stdout; fails on a non-zero exit.
    static func output(_ binary: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw CLIFailure("\(arguments.first ?? "") failed: \(String(decoding: errData, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs this executable with `arguments`; returns wall seconds; fails on a non-zero exit.
    static func run(_ arguments: [String]) throws -> Double {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: self.executable)
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        let start = ContinuousClock.now
        try p.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let seconds = Progress.seconds(ContinuousClock.now - start)
        guard p.terminationStatus == 0 else {
            throw CLIFailure("\(arguments.joined(separator: " ")) failed: \(String(decoding: errData, as: UTF8.self))")
        }
        return seconds
    }
}

struct BenchImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract:
            "CSV import rows/s: wall time of whole `financehub import bars` processes, rollups included, with a server open on the same database."
    )

    @Option(help: "Rows (1-minute bars) in the file.") var rows = 1_000_000
    @Option(help: "Runs; the best is reported.") var runs = 5
    @Option(help: "sqlite:DIR-for-fresh-files (default a temp folder) or a postgres:// URL.") var database: String?
    @Flag(help: "Do not start a server on the same database.") var noServer = false

    func validate() throws {
        try BenchLimits.atLeastOne(self.rows, "--rows")
        try BenchLimits.atLeastOne(self.runs, "--runs")
        if let database = self.database { try DatabaseOptions.check(database, option: "--database") }
    }

    func run() async throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("financehub-bench-\(getpid())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let file = tmp.appendingPathComponent("bars.csv").path
        let bars = SyntheticData.minuteBars(count: self.rows, start: 1_577_836_800_000)
        try SyntheticData.csv(bars).write(toFile: file, atomically: false, encoding: .utf8)
        Console.info("wrote \(self.rows) rows to \(file)")
        var best = 0.0
        for run in 1...max(1, self.runs) {
            let db: String
            if let database = self.database, database.hasPrefix("postgres") {
                db = database
            } else {
                db = "sqlite:" + tmp.appendingPathComponent("run\(run).sqlite").path
            }
            let server = self.noServer ? nil : try SelfProcess.startServer(database: db)
            defer { server?.0.terminate() }
            let symbol = "BENCH\(getpid())R\(run)"
            let seconds = try SelfProcess.run([
                "import", "bars", "--symbol", symbol, "--interval", "1m", "--database", db, file,
            ])
            server?.0.terminate()
            server?.0.waitUntilExit()
            let rate = Double(self.rows) / seconds
            best = max(best, rate)
            Console.info(String(format: "run %d: %.2f s, %.0f rows/s", run, seconds, rate))
        }
        let kind = self.database?.hasPrefix("postgres") == true ? "postgres" : "sqlite"
        try Output.line(
            String(
                format: "import_%@ %.0f rows/s (best of %d, %d rows%@)", kind, best, self.runs, self.rows,
                self.noServer ? "" : ", server open"))
    }
}

struct BenchRollup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollup",
        abstract: "Daily bars over a year of 1-minute bars: from the rollup vs recomputed from raw bars.")

    @OptionGroup var db: DatabaseOptions
    @Option(help: "Repetitions; the best is reported.") var runs = 5

    func validate() throws { try BenchLimits.atLeastOne(self.runs, "--runs") }

    func run() async throws {
        let store = try await self.db.open(logger: Logger(label: "financehub.bench"))
        let symbol = "BENCHYEAR"
        let start: Int64 = 1_704_067_200_000  // 2024-01-01
        let count = 525_600
        let existing = try await store.bars(
            symbol: symbol, series: .stored(.minute1), from: nil, to: nil, limit: count + 1, newestFirst: false)
        if existing.count != count {
            Console.info("loading a year of 1-minute bars (\(count) rows) into \(store.displayName)...")
            let bars = SyntheticData.minuteBars(count: count, start: start)
            try await store.writeBars(BarBatch(symbol: symbol, interval: .minute1, bars: bars))
        }
        let service = BarQueryService(store: store)
        let end = start + Int64(count) * 60_000
        var rollup: [Bar] = []
        var raw: [Bar] = []
        var bestRollup = Double.infinity
        var bestRaw = Double.infinity
        for _ in 0..<max(1, self.runs) {
            bestRollup = min(
                bestRollup,
                try await Stopwatch.time {
                    rollup = try await service.bars(
                        symbol: symbol, interval: .day1, from: start, to: end, limit: 100_000, source: .auto, now: end)
                })
            bestRaw = min(
                bestRaw,
                try await Stopwatch.time {
                    raw = try await service.bars(
                        symbol: symbol, interval: .day1, from: start, to: end, limit: 100_000, source: .raw, now: end)
                })
        }
        try await store.close()
        guard rollup == raw, rollup.count == 365 else {
            let first =
                zip(rollup, raw).first { $0.0 != $0.1 }.map { "first difference: rollup \($0.0) raw \($0.1)" } ?? ""
            throw CLIFailure("rollup (\(rollup.count) bars) and raw (\(raw.count) bars) differ; \(first)")
        }
        try Output.line(
            String(
                format:
                    "rollup_1d %.3f ms\nraw_1d %.3f ms\nspeedup %.1fx (identical: %d daily bars from %d minute bars, best of %d)",
                bestRollup * 1000, bestRaw * 1000, bestRaw / bestRollup, rollup.count, count, self.runs))
    }
}

/// Usage checks shared by the bench commands (a usage error exits 64).
enum BenchLimits {
    static func atLeastOne(_ value: Int, _ name: String) throws {
        guard value >= 1 else { throw ArgumentParser.ValidationError("\(name) must be at least 1") }
    }
}
