import ArgumentParser
import FinanceApp
import FinanceCore
import FinanceStorage
import Foundation
import Logging

/// `financehub import bars|ticks`: CSV files into the store, all or nothing.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import CSV files (all or nothing).",
        subcommands: [ImportBars.self, ImportTicks.self])
}

/// Reads a whole file, or stdin for `-`.
enum InputFile {
    static func read(_ path: String) throws -> [UInt8] {
        if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIFailure("cannot read \(path)") }
        return Array(data)
    }
}

/// Progress lines on stderr for long work.
struct Progress: Sendable {
    let label: String
    let total: Int
    let start = ContinuousClock.now

    func report(_ done: Int) {
        guard self.total >= 100_000 else { return }
        let seconds = Progress.seconds(ContinuousClock.now - self.start)
        Console.info("\(self.label): \(done)/\(self.total) rows (\(Int(Double(done) / max(seconds, 1e-9))) rows/s)")
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

struct ImportBars: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bars", abstract: "Import OHLCV bars: header timestamp,open,high,low,close,volume.")

    @Option(help: "Symbol of the bars (created as an asset if unknown).") var symbol: String
    @Option(help: "Interval of the bars: 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w, 1M.") var interval: String = "1m"
    @OptionGroup var db: DatabaseOptions
    @Argument(help: "CSV file, or - for stdin.") var file: String

    func validate() throws {
        guard Symbol.normalize(self.symbol) != nil else {
            throw ArgumentParser.ValidationError("invalid --symbol '\(Echo.text(self.symbol))': \(Symbol.rule)")
        }
        guard Interval(self.interval) != nil else {
            throw ArgumentParser.ValidationError(
                "unknown --interval '\(Echo.text(self.interval))': use one of \(Interval.all.map(\.name).joined(separator: ", "))"
            )
        }
    }

    func run() async throws {
        // Settings first: a bad config file stops the import before a large file is read.
        let settings = try await self.db.settings()
        let interval = Interval(self.interval)!
        let start = ContinuousClock.now
        let bytes = try InputFile.read(self.file)
        // Validated (stamped, sorted, de-duplicated) while the file is checked, so every problem is listed at once.
        var validated: BarBatch? = nil
        do {
            _ = try CheckedCSV.read(
                bytes, path: self.file, required: ["open", "high", "low", "close", "volume"],
                progress: { Console.info("parsed \($0) rows") },
                check: { columns in
                    do throws(FinanceCore.ValidationError) {
                        validated = try Ingestor.validate(
                            symbol: self.symbol, interval: interval, bars: BarFile.bars(columns), maxItems: nil)
                        return []
                    } catch {
                        return error.issues
                    }
                })
        } catch let failure as CLIFailure {
            throw CLIFailure(failure.message + "\nnothing was written")
        }
        let batch = validated!
        let store = try await self.db.open(settings, logger: Logger(label: "financehub.import"))
        let progress = Progress(label: "writing", total: batch.bars.count)
        do {
            try await Ingestor(marketData: store, bus: InProcessMarketBus(), sources: DataSourceLedger(assets: store))
                .ingest(batches: [batch], freshness: .historical, source: .importFile) {
                    progress.report($0)
                }
            try await store.close()
        } catch {
            try? await store.close()
            throw CLIFailure("import failed, nothing was written: \(error)")
        }
        let seconds = Progress.seconds(ContinuousClock.now - start)
        Console.info(
            "imported \(batch.bars.count) rows in \(String(format: "%.2f", seconds)) s (\(Int(Double(batch.bars.count) / max(seconds, 1e-9))) rows/s)"
        )
        try Output.line(
            "imported \(batch.bars.count) bars of \(batch.symbol) at \(interval.name) into \(store.displayName)")
    }
}

/// Turning parsed CSV columns into a validated batch.
enum BarFile {
    static func bars(_ columns: CSVColumns) -> [IncomingBar] {
        let o = columns.numbers["open"]!
        let h = columns.numbers["high"]!
        let l = columns.numbers["low"]!
        let c = columns.numbers["close"]!
        let v = columns.numbers["volume"]!
        var out: [IncomingBar] = []
        out.reserveCapacity(columns.count)
        for i in 0..<columns.count {
            out.append(
                IncomingBar(
                    index: i,
                    bar: Bar(ts: columns.timestamps[i], open: o[i], high: h[i], low: l[i], close: c[i], volume: v[i])))
        }
        return out
    }
}

struct ImportTicks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticks",
        abstract: "Import ticks: header timestamp,price,size[,bid,ask,bidSize,askSize]; they build 1-minute bars.")

    @Option(help: "Symbol of the ticks (created as an asset if unknown).") var symbol: String
    @OptionGroup var db: DatabaseOptions
    @Argument(help: "CSV file, or - for stdin.") var file: String

    func validate() throws {
        guard Symbol.normalize(self.symbol) != nil else {
            throw ArgumentParser.ValidationError("invalid --symbol '\(Echo.text(self.symbol))': \(Symbol.rule)")
        }
    }

    func run() async throws {
        // Settings first: a bad config file stops the import before a large file is read.
        let settings = try await self.db.settings()
        let symbol = Symbol.normalize(self.symbol)!
        let ticks: [Tick]
        do {
            ticks = try TickFile.read(try InputFile.read(self.file), path: self.file, symbol: symbol, ordered: false)
        } catch let failure as CLIFailure {
            throw CLIFailure(failure.message + "\nnothing was written")
        }
        let store = try await self.db.open(settings, logger: Logger(label: "financehub.import"))
        do {
            try await Ingestor(marketData: store, bus: InProcessMarketBus(), sources: DataSourceLedger(assets: store))
                .ingest(ticks: ticks, freshness: .historical, source: .importFile, maxItems: nil)
            try await store.close()
        } catch {
            try? await store.close()
            throw CLIFailure("import failed, nothing was written: \(error)")
        }
        try Output.line("imported \(ticks.count) ticks of \(symbol) into \(store.displayName)")
    }
}

/// Tick CSV files: `timestamp,price[,size,bid,ask,bidSize,askSize]`.
enum TickFile {
    /// True when a CSV header (its first line) is a tick file's: a `price` column and no `open` column.
    /// The names are read as the CSV reader reads them (quoted or not).
    static func isTickHeader(_ bytes: [UInt8]) -> Bool {
        let names = CSVReader.header(bytes)
        return names.contains("price") && !names.contains("open")
    }

    /// The ticks of a file, checked by the rules of ingested ticks (`Validation`); with `ordered`, timestamps must
    /// also never decrease. Every problem, of parsing or of the rules, is reported with its file line.
    static func read(_ bytes: [UInt8], path: String, symbol: String, ordered: Bool) throws -> [Tick] {
        var ticks: [Tick] = []
        _ = try CheckedCSV.read(
            bytes, path: path, required: ["price"], optional: ["size", "bid", "ask", "bidsize", "asksize"]
        ) { columns in
            ticks = self.ticks(columns, symbol: symbol)
            var issues: [ValidationIssue] = []
            for (i, t) in ticks.enumerated() { Validation.check(t, index: i, into: &issues) }
            if ordered { issues += CheckedCSV.timeOrderIssues(columns.timestamps, strictly: false) }
            return issues
        }
        return ticks
    }

    /// The ticks of parsed tick columns.
    static func ticks(_ columns: CSVColumns, symbol: String) -> [Tick] {
        func value(_ name: String, _ i: Int) -> Double? {
            guard let v = columns.numbers[name]?[i], !v.isNaN else { return nil }
            return v
        }
        let price = columns.numbers["price"]!
        return (0..<columns.count).map { i in
            Tick(
                symbol: symbol, ts: columns.timestamps[i], price: price[i], size: value("size", i),
                bid: value("bid", i),
                ask: value("ask", i), bidSize: value("bidsize", i), askSize: value("asksize", i))
        }
    }
}
