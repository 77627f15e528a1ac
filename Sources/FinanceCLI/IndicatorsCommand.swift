import ArgumentParser
import FinanceBenchmarks
import FinanceCore
import Foundation

/// `financehub indicators`: technical indicators over an OHLCV CSV file.
struct IndicatorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "indicators",
        abstract: "Compute indicators over an OHLCV CSV file (header timestamp,open,high,low,close,volume).",
        discussion: "Example: financehub indicators --input spy.csv --indicators sma:20,rsi:14,macd:12:26:9,bbands:20:2"
    )

    @Option(help: "OHLCV CSV file, or - for stdin.") var input: String
    @Option(help: "Comma-separated specs, e.g. sma:20,ema:20,rsi:14,macd:12:26:9,bbands:20:2,stoch:14:3:3,obv.")
    var indicators: String
    @Option(help: "csv (default) or json.") var format: String = "csv"
    @Option(help: "Write the result here instead of stdout.") var output: String?

    func validate() throws {
        guard ["csv", "json"].contains(self.format) else {
            throw ArgumentParser.ValidationError("--format must be csv or json")
        }
        try Output.checkPath(self.output, "--output")
        do { _ = try IndicatorSpec.parse(self.indicators) } catch {
            throw ArgumentParser.ValidationError("--indicators: \(error)")
        }
    }

    func run() async throws {
        let specs = try IndicatorSpec.parse(self.indicators)
        let series = try OHLCVFile.read(self.input)
        let columns = IndicatorEngine.compute(specs, on: series)
        let text = self.format == "json" ? Self.json(series, columns) : Self.csv(series, columns)
        try Output.write(text, to: self.output)
    }

    static func csv(_ series: OHLCVSeries, _ columns: [IndicatorColumn]) -> String {
        var out = "timestamp," + columns.map(\.name).joined(separator: ",") + "\n"
        out.reserveCapacity(series.count * (16 + 20 * columns.count))
        for i in 0..<series.count {
            out += String(series.timestamps[i])
            for c in columns {
                out += ","
                out += IndicatorFormat.csv(c.values[i])
            }
            out += "\n"
        }
        return out
    }

    /// A JSON array with one object per input row: `{"timestamp": ms, "<column>": number or null, ...}`.
    static func json(_ series: OHLCVSeries, _ columns: [IndicatorColumn]) -> String {
        var out = "["
        for i in 0..<series.count {
            out += i == 0 ? "\n" : ",\n"
            out += "{\"timestamp\":\(series.timestamps[i])"
            for c in columns {
                let v = c.values[i]
                // A missing value is null; ±infinity is clamped (`IndicatorFormat.csv`), as the API does.
                out += ",\"\(c.name)\":" + (v.isNaN ? "null" : IndicatorFormat.csv(v))
            }
            out += "}"
        }
        return out + "\n]\n"
    }
}

/// Reading OHLCV CSV files into validated columns, with file-level error messages.
enum OHLCVFile {
    /// The file's rows as bars.
    static func bars(_ path: String, bytes: [UInt8]? = nil) throws -> [Bar] {
        try self.read(path, bytes: bytes).bars
    }

    /// The file as a series; rows that break the rules of imported bars (`Validation`), and rows whose time is not
    /// after the previous row's, are reported with their line numbers, all at once.
    static func read(_ path: String, bytes: [UInt8]? = nil) throws -> OHLCVSeries {
        let bytes = try bytes ?? InputFile.read(path)
        do {
            let c = try CheckedCSV.read(bytes, path: path, required: ["open", "high", "low", "close", "volume"]) {
                var issues: [ValidationIssue] = []
                for item in BarFile.bars($0) { Validation.check(item.bar, index: item.index, into: &issues) }
                return issues + CheckedCSV.timeOrderIssues($0.timestamps, strictly: true)
            }
            return try OHLCVSeries(
                timestamps: c.timestamps, open: c.numbers["open"]!, high: c.numbers["high"]!, low: c.numbers["low"]!,
                close: c.numbers["close"]!, volume: c.numbers["volume"]!)
        } catch let failure as CLIFailure {
            throw failure
        } catch {
            throw CLIFailure("\(path): \(error)")
        }
    }
}

/// Results go to stdout, or to a file. A write that fails is a `CLIFailure` (exit 1), never a trap and never a
/// success.
enum Output {
    /// An empty file path given to `option` is a usage error (exit 64); absent is fine.
    static func checkPath(_ path: String?, _ option: String) throws {
        if path == "" {
            let hint = option == "--output" ? " (omit it to write to stdout)" : ""
            throw ArgumentParser.ValidationError("\(option) needs a file path\(hint)")
        }
    }

    /// Writes `text` to the file at `path` (see `file`), or to stdout without one.
    static func write(_ text: String, to path: String?) throws {
        if let path {
            try self.file(text, to: path)
        } else {
            do { try FileHandle.standardOutput.write(contentsOf: Data(text.utf8)) } catch {
                throw CLIFailure("cannot write the output: \(Self.reason(error))")
            }
        }
    }

    /// Writes `text` and a newline to stdout.
    static func line(_ text: String) throws { try self.write(text + "\n", to: nil) }

    /// Writes `text` to the file at `path`. A regular file, or a new one, is replaced atomically (a reader never
    /// sees half of it); anything else the path names (a symbolic link, a FIFO, a device) is opened and written
    /// through, never replaced. `what` names the file in the failure (default: the path).
    static func file(_ text: String, to path: String, what: String? = nil) throws {
        let data = Data(text.utf8)
        do {
            var info = stat()
            if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
                try self.writeThrough(data, to: path)
            } else {
                try data.write(to: URL(fileURLWithPath: path), options: .atomic)
            }
        } catch {
            throw CLIFailure("cannot write \(what ?? path): \(Self.reason(error))")
        }
    }

    /// Opens `path` for writing (following links, creating a missing file, truncating a regular one) and writes.
    static func writeThrough(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw POSIXFailure(code: errno) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        do {
            try handle.write(contentsOf: data)
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw POSIXFailure(code: errno) }
    }

    /// A system error's text, e.g. "Is a directory" or "No space left on device".
    static func reason(_ error: any Error) -> String {
        if let failure = error as? POSIXFailure { return String(cString: strerror(failure.code)) }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }

    struct POSIXFailure: Error {
        var code: Int32
    }
}

struct BenchIndicators: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "indicators",
        abstract:
            "Batch ns/bar of every indicator on a file (best of 5), the sum of the ten core ones, and the streaming update cost."
    )

    @Option(help: "OHLCV CSV file (e.g. 1,000,000 bars from scripts/make_ohlcv.py).") var input: String
    @Option(help: "Repetitions; the best is reported.") var repetitions = 5

    func validate() throws { try BenchLimits.atLeastOne(self.repetitions, "--repetitions") }

    func run() async throws {
        let series = try OHLCVFile.read(self.input)
        guard series.count > 0 else { throw CLIFailure("\(self.input): no bars to time") }
        Console.info(
            "loaded \(series.count) bars from \(self.input); timing each indicator, best of \(self.repetitions)...")
        let results = IndicatorBenchmark.run(series: series, repetitions: self.repetitions)
        try Output.line(IndicatorBenchmark.report(results))
        let streaming = IndicatorBenchmark.runStreaming(series: series, repetitions: self.repetitions)
        try Output.line(String(format: "stream10 %.1f ns/update", streaming))
    }
}
