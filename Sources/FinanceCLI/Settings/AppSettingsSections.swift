import FinanceApp
import FinanceCore
import FinanceProviders
import FinanceServer
import FinanceStorage
import Logging

/// `http.*`: where the server listens and how much of a request body it reads.
enum HTTPSection {
    static let host = SettingKey(
        "host", .string, default: ServerSettings().host, doc: "address to listen on")
    static let port = SettingKey(
        "port", .int(0...65535), default: String(ServerSettings().port),
        doc: "port (0 picks a free one; the chosen port is printed)")
    static let maxBodyBytes = SettingKey(
        "maxBodyBytes", .int(1024...1_073_741_824), default: String(ServerSettings().maxBodyBytes),
        doc: "largest request body read; larger ones get 413")
    static let metricsToken = SettingKey(
        "metricsToken", .string, secret: true, doc: "when set, /metrics needs `Authorization: Bearer <token>`")
    static let corsOrigins = SettingKey(
        "corsOrigins", .list, default: "empty", doc: "browser origins allowed to call the API (CORS)")
    static let section = SettingsSection("http", keys: [host, port, maxBodyBytes, metricsToken, corsOrigins])

    /// Reads the section into `settings`.
    static func read(_ r: SectionReader, into settings: inout AppSettings) {
        if let host = r.string(Self.host) { settings.server.host = host }
        if let port = r.int(Self.port) { settings.server.port = port }
        if let max = r.int(Self.maxBodyBytes) { settings.server.maxBodyBytes = max }
        if let token = r.string(Self.metricsToken), !token.isEmpty { settings.server.metricsToken = token }
        if let origins = r.list(Self.corsOrigins) {
            for origin in origins where !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) {
                r.fail(Self.corsOrigins, "expected origins such as https://app.example.com")
            }
            settings.server.corsOrigins = origins
        }
    }
}

/// `api.*`: limits of the REST API.
enum APISection {
    static let requestsPerMinute = UserTier.allCases.map { tier in
        SettingKey(
            "tiers.\(tier.rawValue).requestsPerMinute", .int(1...10_000_000),
            default: String(ServerSettings().apiRequestsPerMinute[tier]!),
            doc: "REST requests per minute of each \(tier.rawValue)-tier user")
    }
    static let section = SettingsSection("api", keys: requestsPerMinute)

    /// Reads the section into `settings`.
    static func read(_ r: SectionReader, into settings: inout ServerSettings) {
        for (tier, key) in zip(UserTier.allCases, Self.requestsPerMinute) {
            if let n = r.int(key) { settings.apiRequestsPerMinute[tier] = n }
        }
    }
}

/// `database.*`: where the data lives.
enum DatabaseSection {
    // Secret: a PostgreSQL URL carries its password.
    static let url = SettingKey(
        "url", .string, default: DatabaseLocation.defaultValue, secret: true,
        doc: "`sqlite:PATH` (or a bare path) or `postgres://user:pass@host:port/db`")
    static let pageCacheMib = SettingKey(
        "pageCacheMib", .int(1...65_536), default: String(AppSettings().sqliteCacheMiB),
        doc: "SQLite: the writer connection's page cache in MiB (each reader gets a quarter, at least 8)")
    static let readers = SettingKey(
        "readers", .int(1...64), default: String(AppSettings().sqliteReaders),
        doc: "SQLite: the most concurrent read connections")
    static let section = SettingsSection("database", keys: [url, pageCacheMib, readers])

    /// Reads the section into `settings`.
    static func read(_ r: SectionReader, into settings: inout AppSettings) {
        if let mib = r.int(Self.pageCacheMib) { settings.sqliteCacheMiB = mib }
        if let count = r.int(Self.readers) { settings.sqliteReaders = count }
        guard let url = r.string(Self.url) else { return }
        do { _ = try DatabaseLocation(parsing: url) } catch { r.fail(Self.url, "\(error)") }
        settings.databaseURL = url
    }
}

/// `feed.*`: the simulated market.
enum FeedSection {
    static let mode = SettingKey(
        "mode", .list, default: "simulated",
        doc: "live sources, comma-separated: `simulated`, `providers` (the watchlist), or `none` alone")
    static let seed = SettingKey(
        "seed", .int(0...Int.max), default: String(SimulatedFeedSettings().seed),
        doc: "seed of the simulated market (same seed, same prices)")
    static let ticksPerSecond = SettingKey(
        "ticksPerSecond", .double(0.01...1000), default: "4", doc: "simulated ticks per second per symbol")
    static let symbols = SettingKey(
        "symbols", .list, default: "all", doc: "the simulated symbols, a subset of the watchlist")
    static let historyDays = SettingKey(
        "historyDays", .int(0...3_650), default: String(SimulatedFeedSettings().historyDays),
        doc: "days of 1-minute history written before the feed on a first start (0: none)")
    static let section = SettingsSection("feed", keys: [mode, seed, ticksPerSecond, symbols, historyDays])

    /// Reads the section into `settings`.
    static func read(_ r: SectionReader, into settings: inout AppSettings) {
        var feed = SimulatedFeedSettings()
        if let seed = r.int(Self.seed) { feed.seed = UInt64(seed) }
        if let rate = r.double(Self.ticksPerSecond) { feed.ticksPerSecond = rate }
        if let days = r.int(Self.historyDays) { feed.historyDays = days }
        if let items = r.list(Self.symbols) {
            let wanted = items.map { $0.uppercased() }
            let known = SimulatedInstrument.defaultWatchlist.map(\.asset.symbol)
            if wanted.isEmpty { r.fail(Self.symbols, "names no symbol (use feed.mode none for no feed)") }
            // Positions, not the names: a message never quotes a value.
            let unknown = wanted.indices.filter { !known.contains(wanted[$0]) }.map { String($0 + 1) }
            if !unknown.isEmpty {
                r.fail(
                    Self.symbols,
                    "\(unknown.count == 1 ? "item" : "items") \(unknown.joined(separator: ", ")) \(unknown.count == 1 ? "is" : "are") not a simulated symbol (known: \(known.sorted().joined(separator: ",")))"
                )
            }
            feed.instruments = SimulatedInstrument.defaultWatchlist.filter { wanted.contains($0.asset.symbol) }
        }
        let modes = r.list(Self.mode) ?? ["simulated"]
        let known = ["simulated", "providers", "none"]
        if modes.isEmpty || modes.contains(where: { !known.contains($0) })
            || (modes.contains("none") && modes.count > 1)
        {
            r.fail(Self.mode, "expected simulated, providers or both (comma-separated), or none alone")
        }
        settings.server.simulatedFeed = modes.contains("simulated") ? feed : nil
        settings.providerFeed = modes.contains("providers")
    }
}

/// `log.*`: what the logs say.
enum LogSection {
    static let level = SettingKey(
        "level", .oneOf(Logger.Level.allCases.map(\.rawValue)), default: Logger.Level.info.rawValue,
        doc: "least severe level logged (logs go to stderr)")
    static let section = SettingsSection("log", keys: [level])

    /// Reads the section into `settings`.
    static func read(_ r: SectionReader, into settings: inout AppSettings) {
        if let level = r.choice(Self.level).flatMap(Logger.Level.init(rawValue:)) { settings.logLevel = level }
    }
}

/// `quotes.*`: the quote book behind `GET /api/quotes`.
enum QuotesSection {
    static let maxSymbols = SettingKey(
        "maxSymbols", .int(1...10_000_000), default: String(QuoteBookSettings().maxSymbols),
        doc: "most symbols whose quotes are held in memory")
    static let maxAgeMs = SettingKey(
        "maxAgeMs", .int(0...3_600_000), default: String(QuoteBookSettings().maxAgeMilliseconds),
        doc: "how old a held quote may get before it is read from the store again")
    static let section = SettingsSection("quotes", keys: [maxSymbols, maxAgeMs])

    /// Reads the section into `settings`.
    static func read(_ r: SectionReader, into settings: inout AppSettings) {
        if let count = r.int(Self.maxSymbols) { settings.server.quotes.maxSymbols = count }
        if let ms = r.int(Self.maxAgeMs) { settings.server.quotes.maxAgeMilliseconds = Int64(ms) }
    }
}

/// `bus.*`: the in-process market and analytics buses.
enum BusSection {
    static let bufferSize = SettingKey(
        "bufferSize", .int(16...1_000_000), default: String(ServerSettings().busBufferSize),
        doc: "messages a bus subscriber may fall behind before it loses the oldest")
    static let section = SettingsSection("bus", keys: [bufferSize])

    /// Reads the section into `settings`.
    static func read(_ r: SectionReader, into settings: inout AppSettings) {
        if let size = r.int(Self.bufferSize) { settings.server.busBufferSize = size }
    }
}

/// `analytics.*`: live pattern and anomaly detection.
enum AnalyticsSection {
    static let intervals = SettingKey(
        "intervals", .list, default: LiveAnalyticsSettings().intervals.map(\.name).joined(separator: ","),
        doc: "intervals analyzed live, or `none`")
    static let warmupBars = SettingKey(
        "warmupBars", .int(0...BarQueryService.maxLimit), default: String(LiveAnalyticsSettings().warmupBars),
        doc: "closed bars read from the store to warm up a series")
    static let maxSymbols = SettingKey(
        "maxSymbols", .int(1...1_000_000), default: String(LiveAnalyticsSettings().maxSymbols),
        doc: "most symbols whose live detectors are held in memory")
    static let recentSignals = SettingKey(
        "recentSignals", .int(1...1_000_000), default: String(ServerSettings().recentSignals),
        doc: "live signals kept for GET /api/signals")
    static let section = SettingsSection("analytics", keys: [intervals, warmupBars, maxSymbols, recentSignals])

    /// Reads the section into `settings`.
    static func read(_ r: SectionReader, into settings: inout AppSettings) {
        if let items = r.list(Self.intervals) {
            if let parsed = LiveAnalyticsSettings.parseIntervals(items.joined(separator: ",")) {
                settings.server.analytics.intervals = parsed
            } else {
                let names = Interval.all.map(\.name).joined(separator: ",")
                r.fail(Self.intervals, "expected a comma-separated list of \(names), or none")
            }
        }
        if let bars = r.int(Self.warmupBars) { settings.server.analytics.warmupBars = bars }
        if let count = r.int(Self.maxSymbols) { settings.server.analytics.maxSymbols = count }
        if let count = r.int(Self.recentSignals) { settings.server.recentSignals = count }
    }
}
