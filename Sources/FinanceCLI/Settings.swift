import Configuration
import FinanceCore
import FinanceApp
import FinanceProviders
import FinanceServer
import FinanceStorage
import Foundation
import Logging
import SystemPackage
import Yams

/// Every setting of `financehub serve`, resolved from defaults → config file → environment (`FINANCEHUB_*`) →
/// command line. Keys are documented in docs/configuration.md.
struct AppSettings {
    var server = ServerSettings()
    var databaseURL = DatabaseLocation.defaultValue
    var logLevel = Logger.Level.info

    /// Keys this build understands (for reporting typos in config files).
    static let keys: [String] = [
        "http.host", "http.port", "http.maxBodyBytes", "database.url", "feed.mode", "feed.seed", "feed.ticksPerSecond",
        "feed.symbols", "log.level", "analytics.intervals", "analytics.warmupBars",
        "analytics.maxSymbols",
    ]

    /// A config parser's error without the file's text: its first line (position and problem). The parser quotes
    /// the offending line after it, and that line may hold a password; credentials in a URL are masked as well.
    static func describeFileError(_ error: any Error) -> String {
        var first = "\(error)".split(separator: "\n").first.map(String.init) ?? "unreadable"
        if first.hasSuffix(":") { first.removeLast() }
        return first.replacing(/:\/\/([^\/\s:@]*):[^@\s]*@/) { "://\($0.1)@" }
    }

    /// Config files ending in .yaml or .yml are YAML, others JSON.
    static func isYAML(_ path: String) -> Bool { path.hasSuffix(".yaml") || path.hasSuffix(".yml") }

    /// The keys of a config file (nested objects and dotted names both spell `http.port`) that no setting has.
    static func unknownKeys(inFile path: String) throws -> [String] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let root: Any?
        do {
            if Self.isYAML(path) {
                root = try Yams.load(yaml: text)
            } else {
                root = text.isEmpty ? nil : try JSONSerialization.jsonObject(with: Data(text.utf8))
            }
        } catch {
            throw CLIFailure("cannot read config file \(path): \(Self.describeFileError(error))")
        }
        var found: [String] = []
        func walk(_ value: Any?, _ prefix: String) {
            if let object = value as? [String: Any] {
                for (k, v) in object { walk(v, prefix.isEmpty ? k : prefix + "." + k) }
            } else if let object = value as? [AnyHashable: Any] {
                for (k, v) in object { walk(v, prefix.isEmpty ? "\(k)" : prefix + ".\(k)") }
            } else if !prefix.isEmpty && !Self.keys.contains(prefix) {
                found.append(prefix)
            }
        }
        walk(root, "")
        return found.sorted()
    }

    /// Loads settings; throws `CLIFailure` listing every invalid value at once.
    static func load(
        configFile: String?, overrides: [String: String],
        environment: [String: String] = ProcessInfo.processInfo.environment
    )
        async throws -> AppSettings
    {
        var providers: [any ConfigProvider] = []
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (k, v) in overrides {
            values[AbsoluteConfigKey(k.split(separator: ".").map(String.init))] = ConfigValue(
                .string(v), isSecret: false)
        }
        providers.append(InMemoryProvider(name: "command line", values: values))
        providers.append(EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "financehub"))
        if let configFile {
            guard FileManager.default.fileExists(atPath: configFile) else {
                throw CLIFailure("config file not found: \(configFile)")
            }
            // A misspelled key would otherwise be ignored silently and its default used.
            let unknown = try Self.unknownKeys(inFile: configFile)
            if !unknown.isEmpty {
                throw CLIFailure(
                    "config file \(configFile): unknown key\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")) (known: \(Self.keys.joined(separator: ", ")))"
                )
            }
            do {
                if Self.isYAML(configFile) {
                    providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(configFile)))
                } else {
                    providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(configFile)))
                }
            } catch {
                throw CLIFailure("cannot read config file \(configFile): \(Self.describeFileError(error))")
            }
        }
        let config = ConfigReader(providers: providers)
        var problems: [String] = []
        var s = AppSettings()

        func string(_ key: String) -> String? {
            do { return try config.requiredString(forKey: ConfigKey(key)) } catch {
                if "\(error)".contains("issing") { return nil }
                // A number in a file where a string is expected: read it as text.
                if let i = try? config.requiredInt(forKey: ConfigKey(key)) { return String(i) }
                if let d = try? config.requiredDouble(forKey: ConfigKey(key)) { return String(d) }
                problems.append("\(key): \(error)")
                return nil
            }
        }
        func int(_ key: String, _ range: ClosedRange<Int>) -> Int? {
            if let i = try? config.requiredInt(forKey: ConfigKey(key)) {
                if range.contains(i) { return i }
                problems.append("\(key): \(i) is outside \(range.lowerBound)...\(range.upperBound)")
                return nil
            }
            guard let text = string(key) else { return nil }
            guard let i = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(i) else {
                problems.append("\(key): '\(text)' is not an integer in \(range.lowerBound)...\(range.upperBound)")
                return nil
            }
            return i
        }
        func double(_ key: String, _ range: ClosedRange<Double>) -> Double? {
            if let d = try? config.requiredDouble(forKey: ConfigKey(key)), range.contains(d) { return d }
            guard let text = string(key) else { return nil }
            guard let d = Double(text.trimmingCharacters(in: .whitespaces)), range.contains(d) else {
                problems.append("\(key): '\(text)' is not a number in \(range.lowerBound)...\(range.upperBound)")
                return nil
            }
            return d
        }

        if let host = string("http.host") { s.server.host = host }
        if let port = int("http.port", 0...65535) { s.server.port = port }
        if let max = int("http.maxBodyBytes", 1024...1_073_741_824) { s.server.maxBodyBytes = max }
        if let url = string("database.url") {
            do { _ = try DatabaseLocation(parsing: url) } catch { problems.append("database.url: \(error)") }
            s.databaseURL = url
        }
        var feed = SimulatedFeedSettings()
        if let seed = int("feed.seed", 0...Int.max) { feed.seed = UInt64(seed) }
        if let rate = double("feed.ticksPerSecond", 0.01...1000) { feed.ticksPerSecond = rate }
        if let symbols = string("feed.symbols") {
            let wanted = symbols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
                .filter { !$0.isEmpty }
            if wanted.isEmpty { problems.append("feed.symbols: names no symbol (use feed.mode none for no feed)") }
            let known = Set(SimulatedInstrument.defaultWatchlist.map(\.asset.symbol))
            let unknown = wanted.filter { !known.contains($0) }
            if !unknown.isEmpty {
                problems.append(
                    "feed.symbols: unknown \(unknown.joined(separator: ",")) (known: \(known.sorted().joined(separator: ",")))"
                )
            }
            feed.instruments = SimulatedInstrument.defaultWatchlist.filter { wanted.contains($0.asset.symbol) }
        }
        switch string("feed.mode") ?? "simulated" {
        case "simulated": s.server.simulatedFeed = feed
        case "none": s.server.simulatedFeed = nil
        case let other: problems.append("feed.mode: '\(other)' is not one of simulated, none")
        }
        if let text = string("analytics.intervals") {
            if let intervals = LiveAnalyticsSettings.parseIntervals(text) {
                s.server.analytics.intervals = intervals
            } else {
                let names = Interval.all.map(\.name).joined(separator: ",")
                problems.append("analytics.intervals: '\(text)' is not a list of \(names), or none")
            }
        }
        if let bars = int("analytics.warmupBars", 0...BarQueryService.maxLimit) { s.server.analytics.warmupBars = bars }
        if let count = int("analytics.maxSymbols", 1...1_000_000) { s.server.analytics.maxSymbols = count }
        if let level = string("log.level") {
            if let l = Logger.Level(rawValue: level) {
                s.logLevel = l
            } else {
                problems.append("log.level: '\(level)' is not a log level")
            }
        }
        guard problems.isEmpty else {
            throw CLIFailure("invalid configuration:\n  " + problems.joined(separator: "\n  "))
        }
        return s
    }
}
