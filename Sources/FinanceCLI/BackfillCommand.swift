import ArgumentParser
import AsyncHTTPClient
import FinanceApp
import FinanceCore
import FinanceProviders
import FinanceStorage
import Foundation
import Logging

/// "Now" for the commands: the system clock, pinned by tests (`CommandClock.$current.withValue`).
enum CommandClock {
    @TaskLocal static var current: any WallClock = SystemClock()
}

/// `financehub backfill`: bars of the past from the configured providers into the store, as history.
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Fetch bars of the past from the configured providers into the store (as history).",
        discussion:
            "Example: financehub backfill --symbol AAPL --interval 1d --from 2024-01-01 --to 2024-06-01. The providers serving the symbol's asset class and the interval are tried by health and providers.preference (docs/providers.md); the range is clamped to now and to each provider's history depth."
    )

    @Option(help: "Symbol to fetch (its asset is created with its class when unknown).") var symbol: String
    @Option(help: "Interval: 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w, 1M (weeks and months are fetched as 1d).")
    var interval: String = "1d"
    @Option(help: "Start of the range (inclusive): a date, an ISO-8601 time or epoch seconds/ms.") var from: String
    @Option(help: "End of the range (exclusive; default now).") var to: String?
    @OptionGroup var db: DatabaseOptions

    func validate() throws {
        guard Symbol.normalize(self.symbol) != nil else {
            throw ArgumentParser.ValidationError("invalid --symbol '\(Echo.text(self.symbol))': \(Symbol.rule)")
        }
        guard Interval(self.interval) != nil else {
            throw ArgumentParser.ValidationError(
                "unknown --interval '\(Echo.text(self.interval))': use one of \(Interval.all.map(\.name).joined(separator: ", "))"
            )
        }
        let from = try Self.time(self.from, option: "--from")
        if let to = try self.to.map({ try Self.time($0, option: "--to") }), from >= to {
            throw ArgumentParser.ValidationError("--from must be before --to")
        }
    }

    /// A time by the API's time rule; a usage error naming `option` otherwise.
    static func time(_ text: String, option: String) throws -> Int64 {
        guard let ms = Timestamp.parse(text), Timestamp.isValid(ms) else {
            throw ArgumentParser.ValidationError(
                "\(option) '\(Echo.text(text))' is not a time: use a date (2024-01-31), an ISO-8601 time or epoch seconds/ms"
            )
        }
        return ms
    }

    func run() async throws {
        let settings = try await self.db.settings()
        let clock = CommandClock.current
        let symbol = Symbol.normalize(self.symbol)!
        let interval = Interval(self.interval)!
        let from = try Self.time(self.from, option: "--from")
        let to = try self.to.map { try Self.time($0, option: "--to") } ?? clock.nowMilliseconds()
        guard from < to else {
            throw ArgumentParser.ValidationError("--from must be before --to (default now)")
        }
        LoggingSetup.bootstrap(level: settings.logLevel)
        let logger = Logger(label: "financehub.backfill")
        let store = try await self.db.open(settings, logger: logger)
        guard
            let router = ProviderWiring.router(
                settings.providers, client: .shared, repository: store, clock: clock, logger: logger)
        else {
            try? await store.close()
            throw CLIFailure(
                "no market-data provider is configured: set providers.<name>.keys (docs/providers.md)"
                    + settings.providers.disabledReasons.map { "; " + $0 }.joined())
        }
        let sources = DataSourceLedger(assets: store)
        let backfill = BarBackfill(
            router: router, cache: ResponseCache(maxEntries: 16, clock: clock),
            ingestor: Ingestor(marketData: store, bus: InProcessMarketBus(), sources: sources), assets: store,
            cacheTTLMilliseconds: Int64(settings.providers.barsCacheSeconds) * 1_000, clock: clock, logger: logger)
        let result: BackfillResult
        do {
            result = try await backfill.backfill(
                symbol: symbol, interval: interval, from: from, to: to, progress: { Console.info($0) })
            try? await router.flush()
            try await store.close()
        } catch {
            try? await router.flush()
            try? await store.close()
            throw CLIFailure(Self.message(error, symbol: symbol))
        }
        for attempt in result.attempts {
            Console.info("\(attempt.provider) failed first: \(attempt.outcome) (\(attempt.detail))")
        }
        try Output.line(Self.summary(result, database: store.displayName))
    }

    /// The result line on stdout.
    static func summary(_ r: BackfillResult, database: String) -> String {
        let range = "from \(Timestamp.iso8601(r.from)) to \(Timestamp.iso8601(r.to))"
        switch r.outcome {
        case .future: return "nothing to fetch: the range is in the future"
        case .knownEmpty:
            return
                "stored 0 bars of \(r.symbol) at \(r.interval.name) \(range): an earlier fetch found none, not asked again"
        case .cached, .fetched:
            let asked =
                r.fetchedFrom > r.from
                ? " (asked from \(Timestamp.iso8601(r.fetchedFrom)), the provider's history depth)" : ""
            return
                "stored \(r.stored) bars of \(r.symbol) at \(r.interval.name) \(range) from \(r.provider ?? "?")\(asked) into \(database)"
        }
    }

    /// The failure message: which providers were tried and why they failed.
    static func message(_ error: any Error, symbol: String) -> String {
        switch error {
        case let unavailable as ProvidersUnavailable:
            let tried = unavailable.attempts.map { "\($0.provider): \($0.outcome) (\($0.detail))" }
            return "no provider could answer for \(symbol)"
                + (tried.isEmpty ? "" : ": " + tried.joined(separator: "; "))
                + "; retry after \(unavailable.retryAfterSeconds) s; nothing was written"
        case ProviderError.unknownSymbol:
            return "no provider knows \(symbol); nothing was written"
        case let none as BackfillUnavailable:
            return "\(none); nothing was written"
        case let invalid as FinanceCore.ValidationError:
            return "the provider's bars break the ingestion rules, nothing was written: \(invalid)"
        default:
            return "backfill failed: \(error)"
        }
    }
}
