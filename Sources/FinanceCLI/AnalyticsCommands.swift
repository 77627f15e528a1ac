import ArgumentParser
import FinanceBenchmarks
import FinanceCore
import FinanceServer
import Foundation

/// `financehub patterns`: chart patterns in an OHLCV CSV file.
struct PatternsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patterns",
        abstract: "Detect chart patterns in an OHLCV CSV file (header timestamp,open,high,low,close,volume).")

    @Option(help: "OHLCV CSV file, or - for stdin.") var input: String
    @Option(help: "table (default) or json (a bare JSON array of records).") var format: String = "table"
    @Option(help: "Write the result here instead of stdout.") var output: String?
    @Option(help: "Only these pattern types, comma-separated (e.g. head_and_shoulders,double_top).") var types: String?
    @Option(help: "Also draw the bars and the latest final record of each pattern as an SVG chart into this file.")
    var chart: String?
    @Option(help: "First bar of the chart (ms since the epoch or ISO 8601); default: the first bar.")
    var chartFrom: String?
    @Option(help: "Last bar of the chart (ms since the epoch or ISO 8601); default: the last bar.") var chartTo: String?
    @Flag(help: "With --method rules: every shape the rules accept, without their learned screen (docs/patterns.md).")
    var noScreen = false
    @Option(
        help: """
            How patterns are found: templates (default; learned template matching) or rules (turning points and \
            shape rules: about 15 times faster, less accurate; for fast screening).
            """)
    var method: String = "templates"

    func validate() throws {
        guard ["table", "json"].contains(self.format) else {
            throw ArgumentParser.ValidationError("--format must be table or json")
        }
        guard PatternMethod(rawValue: self.method) != nil else {
            throw ArgumentParser.ValidationError("--method must be templates or rules")
        }
        try Output.checkPath(self.output, "--output")
        try Output.checkPath(self.chart, "--chart")
        if let types = self.types, PatternType.parseList(types) == nil {
            throw ArgumentParser.ValidationError("--types \(PatternType.listProblem(types))")
        }
        for (name, value) in [("--chart-from", self.chartFrom), ("--chart-to", self.chartTo)] {
            if let value, Timestamp.parse(value) == nil {
                throw ArgumentParser.ValidationError(
                    "\(name): '\(Echo.text(value))' is not a time (ms since the epoch or ISO 8601)")
            }
        }
        if let a = self.chartFrom.flatMap(Timestamp.parse), let b = self.chartTo.flatMap(Timestamp.parse), a > b {
            throw ArgumentParser.ValidationError(
                "--chart-from (\(self.chartFrom!)) is after --chart-to (\(self.chartTo!))")
        }
    }

    func run() async throws {
        let bars = try OHLCVFile.bars(self.input)
        var options = PatternOptions()
        if let types = self.types.flatMap(PatternType.parseList) { options.types = types }
        if self.noScreen { options.screen = nil }
        options.method = PatternMethod(rawValue: self.method)!
        let records = PatternDetector(options: options).detect(bars: bars)
        if self.format == "json" {
            try Output.write(try JSONText.encode(records.map(PatternDTO.init)) + "\n", to: self.output)
        } else {
            var out = "id,type,status,direction,start,end,breakout,target,confidence\n"
            for r in records {
                out +=
                    "\(r.id),\(r.type.rawValue),\(r.status.rawValue),\(r.direction.rawValue),\(Timestamp.iso8601(r.start)),"
                out += "\(Timestamp.iso8601(r.end)),\(r.breakout),\(r.target),\(r.confidence)\n"
            }
            try Output.write(out, to: self.output)
        }
        // After the result, so a chart that cannot be written does not lose it.
        if let chart = self.chart { try self.drawChart(bars: bars, records: records, to: chart) }
    }

    /// The chart window's bars with the latest final record of every pattern lying inside it.
    func drawChart(bars: [Bar], records: [PatternDetection], to path: String) throws {
        let from = self.chartFrom.flatMap(Timestamp.parse) ?? Int64.min
        let to = self.chartTo.flatMap(Timestamp.parse) ?? Int64.max
        let window = bars.filter { $0.ts >= from && $0.ts <= to }
        let shown = PatternDetector.latest(records).filter { $0.status != .forming && $0.start >= from && $0.end <= to }
        let name = URL(fileURLWithPath: self.input).lastPathComponent
        let title =
            window.isEmpty
            ? name
            : "\(name) \(Timestamp.iso8601(window[0].ts).prefix(10)) to \(Timestamp.iso8601(window[window.count - 1].ts).prefix(10))"
        try Output.file(
            PatternChart.svg(bars: window, detections: shown, title: title), to: path, what: "the chart to \(path)")
        Console.info("chart: \(window.count) bars, \(shown.count) patterns -> \(path)")
    }
}

/// `financehub anomalies`: anomalies in an OHLCV or tick CSV file.
struct AnomaliesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomalies",
        abstract:
            "Detect anomalies in an OHLCV CSV file, or a tick CSV (timestamp,price,size,bid,ask,bidSize,askSize, recognised by its header)."
    )

    @Option(help: "CSV file, or - for stdin.") var input: String
    @Option(help: "table (default) or json (a bare JSON array).") var format: String = "table"
    @Option(help: "Write the result here instead of stdout.") var output: String?
    @Flag(help: "The market trades around the clock (no gap detection), e.g. crypto.") var continuous = false

    func validate() throws {
        guard ["table", "json"].contains(self.format) else {
            throw ArgumentParser.ValidationError("--format must be table or json")
        }
        try Output.checkPath(self.output, "--output")
    }

    func run() async throws {
        var options = AnomalyOptions()
        options.continuousMarket = self.continuous
        let detector = AnomalyDetector(options: options)
        let bytes = try InputFile.read(self.input)
        let anomalies: [Anomaly]
        if TickFile.isTickHeader(bytes) {
            let ticks = try TickFile.read(bytes, path: self.input, symbol: "", ordered: true)
            anomalies = detector.detect(ticks: ticks)
        } else {
            let bars = try OHLCVFile.bars(self.input, bytes: bytes)
            anomalies = detector.detect(bars: bars)
        }
        if self.format == "json" {
            try Output.write(try JSONText.encode(anomalies.map(AnomalyDTO.init)) + "\n", to: self.output)
            return
        }
        var out = "ts,type,severity,threshold,values\n"
        for a in anomalies {
            let values = a.values.keys.sorted().map { "\($0)=\(a.values[$0]!)" }.joined(separator: " ")
            out += "\(Timestamp.iso8601(a.ts)),\(a.type.rawValue),\(a.severity),\(a.threshold),\(values)\n"
        }
        try Output.write(out, to: self.output)
    }
}

/// Compact JSON text of an Encodable value.
enum JSONText {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

struct BenchPatterns: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patterns",
        abstract: "Pattern accuracy (precision, recall, F1 per type) on the labeled benchmark, and scan speed.")

    @Option(help: "Seed of the generator.") var seed: UInt64 = 1
    @Option(help: "Labeled series to generate.") var series = 2000
    @Option(help: "Per-bar noise as a fraction of the pattern's height.") var noise = 0.10
    @Flag(
        help:
            "Also time a scan of 525,600 one-minute bars and of 10 years of daily bars, and the streaming cost per bar."
    )
    var speed = false
    @Flag(
        help: """
            Also print the diagnostics: how the shape rules classify the true key points (oracle segmentation), \
            wedge/channel and flag/pennant separation, turning-point quality, and the F1 a perfect conflict \
            resolution could reach.
            """)
    var oracle = false
    @Flag(help: "With --method rules: score the rules without their learned screen (every shape they accept).")
    var noScreen = false
    @Flag(
        help: """
            Train the learned screen instead (seeds 11–14, noise 0–30 %, --series series each) and print its Swift \
            source (Sources/FinanceCore/Patterns/Generated/PatternScreenTrained.swift) to stdout; the per-type fit goes to \
            stderr.
            """)
    var trainScreen = false
    @Option(
        help: """
            How patterns are found: templates (default; learned template matching) or rules (turning points and \
            shape rules: about 15 times faster, less accurate; for fast screening).
            """)
    var method: String = "templates"
    @Flag(
        help: """
            Print the template model's training rows instead (CSV label,features for every window of the generated \
            series; scripts/train_pattern_templates.py).
            """)
    var templateFeatures = false
    @Flag(
        help: """
            Print the line model's training rows instead (CSV label,component,features for every support, \
            resistance and trend-line window; scripts/train_pattern_templates.py --lines).
            """)
    var lineFeatures = false
    @Option(
        help: """
            With --method templates: one least model probability for every type (chart patterns, levels and \
            lines), instead of each type's own (how those were chosen: docs/patterns.md).
            """)
    var templateThreshold: Double?
    @Option(
        help: """
            With --method templates: the most noise (a share of the pattern's height) a textbook fit may leave to \
            be reported whatever the model says; 0 turns textbook fits off (default 0.05; docs/patterns.md).
            """)
    var textbookNoise: Double?
    @Option(
        help: """
            Score only the truths spanning at least this many bars; a detection of a shorter truth counts neither \
            as right nor as wrong.
            """)
    var minTruthBars = 0
    @Flag(help: "Also print each type's recall by the length of the truth's span (bars 1-29, 30-49, 50-79, 80+).")
    var byLength = false

    func validate() throws {
        guard self.minTruthBars >= 0 else {
            throw ArgumentParser.ValidationError("--min-truth-bars must be a number of bars ≥ 0")
        }
        guard PatternMethod(rawValue: self.method) != nil else {
            throw ArgumentParser.ValidationError("--method must be templates or rules")
        }
        try BenchLimits.atLeastOne(self.series, "--series")
        guard self.noise.isFinite, self.noise >= 0 else {
            throw ArgumentParser.ValidationError("--noise must be a number ≥ 0 (a fraction of the pattern height)")
        }
        if let t = self.templateThreshold, !(t >= 0 && t <= 1) {
            throw ArgumentParser.ValidationError("--template-threshold must be a probability in [0, 1]")
        }
        if let t = self.textbookNoise, !(t >= 0 && t <= 1) {
            throw ArgumentParser.ValidationError("--textbook-noise must be a share of the height in [0, 1]")
        }
    }

    func run() async throws {
        if self.trainScreen {
            var training = PatternScreenTrainingConfig()
            training.series = self.series
            let (screen, fits) = PatternBenchmark.trainScreen(training) { Console.info($0) }
            for fit in fits { Console.info(fit.line) }
            try Output.write(PatternBenchmark.screenSource(screen, training), to: nil)
            return
        }
        Console.info(
            "generating \(self.series) labeled series (seed \(self.seed), noise \(self.noise)) and scanning them...")
        var config = PatternBenchConfig(seed: self.seed, series: self.series, noise: self.noise)
        config.minTruthBars = self.minTruthBars
        if self.templateFeatures {
            try Output.write(PatternBenchmark.templateFeatures(config), to: nil)
            return
        }
        if self.lineFeatures {
            try Output.write(PatternBenchmark.lineFeatures(config), to: nil)
            return
        }
        var options = PatternOptions()
        options.method = PatternMethod(rawValue: self.method)!
        if self.noScreen { options.screen = nil }
        options.templateThreshold = self.templateThreshold
        if let t = self.textbookNoise { options.textbookNoise = t }
        let report = PatternBenchmark.run(config, options: options)
        try Output.line(report.lines.joined(separator: "\n"))
        if self.minTruthBars > 0 {
            Console.info("\(report.belowMinBars) detections of truths under \(self.minTruthBars) bars not counted")
        }
        if self.byLength { try Output.line(report.byLength.map(\.line).joined(separator: "\n")) }
        if self.oracle {
            let lines =
                PatternBenchmark.oracle(config).map(\.line) + PatternBenchmark.separation(config).map(\.line)
                + PatternBenchmark.turningPoints(config).map(\.line)
                + PatternBenchmark.resolutionCeiling(config).map(\.line)
            try Output.line(lines.joined(separator: "\n"))
        }
        if self.speed {
            let minute = PatternBenchmark.randomWalk(count: 525_600)
            let daily = PatternBenchmark.randomWalk(count: 2_520, sigma: 0.015, stepMs: 86_400_000)
            let m = (0..<5).map { _ in PatternBenchmark.scanSpeed(bars: minute, options: options) }.min()!
            let d = (0..<5).map { _ in PatternBenchmark.scanSpeed(bars: daily, options: options) }.min()!
            // Live: one series fed bar by bar (PatternStream.append), as live analytics does.
            let live = PatternBenchmark.randomWalk(count: 100_000)
            let s = (0..<5).map { _ in PatternBenchmark.streamSpeed(bars: live, options: options) }.min()!
            try Output.line(
                String(
                    format:
                        "scan_525600_minute_bars %.3f s\nscan_10y_daily_bars %.3f ms\nstream_per_bar_per_series %.2f us",
                    m, d * 1000, s * 1e6))
        }
    }
}

struct BenchAnomalies: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomalies",
        abstract: "Anomaly accuracy (precision, recall per kind) on injected anomalies, and streaming cost per tick.")

    @Option(help: "Seed of the generator.") var seed: UInt64 = 1

    func run() async throws {
        let result = AnomalyBenchmark.run(AnomalyBenchConfig(seed: self.seed))
        try Output.line(result.lines.joined(separator: "\n"))
        try Output.line(String(format: "stream_all_detectors %.1f ns/tick", AnomalyBenchmark.streamingNsPerTick()))
    }
}
