import Configuration
import FinanceApp
import FinanceTestSupport
import Foundation
import XCTest

@testable import FinanceCLI

/// Sections of the shapes the next issues will declare (a `sources.<name>` like `providers.<name>` but with open names,
/// WebSocket tiers), here only as fixtures: they prove
/// that patterned sections, fixed and open names, and secrets are expressible.
private enum Fixture {
    static let baseUrl = SettingKey("baseUrl", .string, doc: "root of the provider's API")
    static let keys = SettingKey("keys", .list, secret: true, doc: "API keys")
    static let perMinute = SettingKey("budgets.perMinute", .int(1...10_000), doc: "requests a minute")
    static let enabled = SettingKey("enabled", .bool, default: "true", doc: "whether the provider is used")
    static let share = SettingKey("share", .double(0...1), default: "1", doc: "share of the requests it serves")
    static let sources = SettingsSection(
        "sources.<name>", names: .open, keys: [baseUrl, keys, perMinute, enabled, share])
    static let maxConnections = SettingKey("maxConnections", .int(0...100_000), doc: "connections per tier")
    static let tiers = SettingsSection(
        "ws.tiers.<tier>", names: .fixed(["free", "pro", "enterprise"]), keys: [maxConnections])
    static let catalog = SettingsCatalog(AppSettings.catalog.sections + [sources, tiers])
}

final class SettingsTests: TemporaryFolderTestCase {
    /// A reader of the fixture catalog over the three layers.
    private func reader(
        file: String? = nil, overrides: [String: String] = [:], environment: [String: String] = [:]
    ) async throws -> SettingsReader {
        let sources = try await SettingsSources.load(
            configFile: file, overrides: overrides, environment: environment, catalog: Fixture.catalog)
        return SettingsReader(sources: sources, catalog: Fixture.catalog)
    }

    /// The message settings fail with ("" when they load).
    private func failure(
        _ file: String? = nil, overrides: [String: String] = [:], environment: [String: String] = [:]
    ) async -> String {
        do {
            _ = try await AppSettings.load(configFile: file, overrides: overrides, environment: environment)
            return ""
        } catch let failure as CLIFailure {
            return failure.message
        } catch {
            return "\(error)"
        }
    }

    func testEnvironmentNamesAreTheProvidersOwn() throws {
        XCTAssertEqual(
            EnvironmentNames.variable("ws.connectAttempts.perIpPerMinute"),
            "FINANCEHUB_WS_CONNECT_ATTEMPTS_PER_IP_PER_MINUTE")
        XCTAssertEqual(
            EnvironmentNames.variable("sources.coingecko.baseUrl"), "FINANCEHUB_SOURCES_COINGECKO_BASE_URL")
        XCTAssertEqual(EnvironmentNames.variable("http.maxBodyBytes"), "FINANCEHUB_HTTP_MAX_BODY_BYTES")
        // Capitals inside a key split nowhere: `perIPPerMinute` would need PER_IPPER_MINUTE.
        XCTAssertEqual(EnvironmentNames.variable("a.perIPPerMinute"), "FINANCEHUB_A_PER_IPPER_MINUTE")
        // Every declared key, spelt our way, is the variable swift-configuration's provider reads.
        for section in Fixture.catalog.sections {
            for key in section.keys {
                let instance = section.names.map { names -> String in
                    if case .fixed(let list) = names { return list[list.count - 1] }
                    return "pro"
                }
                let components = section.components(key, instance: instance)
                let variable = EnvironmentNames.variable(components.joined(separator: "."))
                let provider = EnvironmentVariablesProvider(environmentVariables: [variable: "1"])
                    .prefixKeys(with: "financehub")
                let found = try provider.value(forKey: AbsoluteConfigKey(components), type: .string)
                XCTAssertNotNil(found.value, variable)
                XCTAssertNotNil(Fixture.catalog.match(environmentVariable: variable), variable)
            }
        }
    }

    func testDeclaredKeysDriveTheUnknownKeyCheck() async throws {
        let file = self.write("p.yaml", "sources:\n  coingecko:\n    baseUrl: https://api.example\n")
        // The application does not declare sources yet: the key is unknown to it...
        let unknown = await self.failure(file)
        XCTAssertTrue(unknown.contains("unknown key sources.coingecko.baseUrl"), unknown)
        // ...and known as soon as a section declares it.
        let reader = try await self.reader(file: file)
        XCTAssertEqual(reader.problems, [])
        XCTAssertEqual(
            reader.section(Fixture.sources, instance: "coingecko").string(Fixture.baseUrl), "https://api.example")
        // The same declarations decide which variables are known.
        let environment = ["FINANCEHUB_SOURCES_COINGECKO_BASE_URL": "x", "FINANCEHUB_HTTP_PORT": "1"]
        XCTAssertEqual(EnvironmentCheck.warnings(environment, catalog: Fixture.catalog), [])
        XCTAssertEqual(EnvironmentCheck.warnings(environment, catalog: AppSettings.catalog).count, 1)
        // Keys set on the command line are checked as well.
        let reader2 = try await self.reader(overrides: ["http.prot": "1"])
        XCTAssertEqual(reader2.problems.count, 1)
        XCTAssertTrue(reader2.problems[0].hasPrefix("command line: unknown key http.prot"), reader2.problems[0])
    }

    func testPatternedSectionsAcceptTheirNamesOnly() async throws {
        let file = self.write(
            "p.yaml",
            """
            sources:
              coingecko:
                baseUrl: https://api.example
                keys: [k1, k2]
                budgets:
                  perMinute: 50
            ws.tiers.pro.maxConnections: 7
            ws:
              connectAttempts:
                perIpPerMinute: 30

            """)
        let reader = try await self.reader(
            file: file,
            environment: [
                "FINANCEHUB_SOURCES_POLYGON_BUDGETS_PER_MINUTE": "20",
                "FINANCEHUB_WS_TIERS_ENTERPRISE_MAX_CONNECTIONS": "900",
            ])
        XCTAssertEqual(reader.instances(of: Fixture.sources), ["coingecko", "polygon"])
        XCTAssertEqual(reader.instances(of: Fixture.tiers), ["enterprise", "pro"])
        let coingecko = reader.section(Fixture.sources, instance: "coingecko")
        XCTAssertEqual(coingecko.list(Fixture.keys), ["k1", "k2"])
        XCTAssertEqual(coingecko.int(Fixture.perMinute), 50)
        XCTAssertEqual(reader.section(Fixture.sources, instance: "polygon").int(Fixture.perMinute), 20)
        XCTAssertEqual(reader.section(Fixture.tiers, instance: "pro").int(Fixture.maxConnections), 7)
        XCTAssertEqual(reader.section(Fixture.tiers, instance: "enterprise").int(Fixture.maxConnections), 900)
        XCTAssertNil(reader.section(Fixture.tiers, instance: "free").int(Fixture.maxConnections))
        XCTAssertEqual(reader.section(AbuseSection.connectAttempts).int(AbuseSection.perIpPerMinute), 30)
        XCTAssertEqual(reader.problems, [])
        // Flags and numbers from the environment; a bad one is reported by key and origin.
        let kinds = try await self.reader(
            environment: [
                "FINANCEHUB_SOURCES_A_ENABLED": "no", "FINANCEHUB_SOURCES_A_SHARE": "0.25",
                "FINANCEHUB_SOURCES_B_ENABLED": "maybe", "FINANCEHUB_SOURCES_B_SHARE": "2",
            ])
        let a = kinds.section(Fixture.sources, instance: "a")
        XCTAssertEqual(a.bool(Fixture.enabled), false)
        XCTAssertEqual(a.double(Fixture.share), 0.25)
        let b = kinds.section(Fixture.sources, instance: "b")
        XCTAssertNil(b.bool(Fixture.enabled))
        XCTAssertNil(b.double(Fixture.share))
        XCTAssertEqual(
            kinds.problems,
            [
                "sources.b.enabled: expected true or false (from FINANCEHUB_SOURCES_B_ENABLED)",
                "sources.b.share: expected a number in 0...1 (from FINANCEHUB_SOURCES_B_SHARE)",
            ])
        // A tier outside the fixed names, a name outside the open rule, a key no section declares.
        let bad = self.write(
            "bad.json",
            #"{"ws": {"tiers": {"gold": {"maxConnections": 1}}}, "sources": {"Coin-Gecko": {"baseUrl": "x"},"#
                + #" "coingecko": {"budget": 1}}}"#)
        let rejected = try await self.reader(file: bad)
        XCTAssertEqual(rejected.problems.count, 1)
        for key in ["ws.tiers.gold.maxConnections", "sources.Coin-Gecko.baseUrl", "sources.coingecko.budget"] {
            XCTAssertTrue(rejected.problems[0].contains(key), rejected.problems[0])
        }
        XCTAssertEqual(rejected.instances(of: Fixture.tiers), [])
        let warnings = EnvironmentCheck.warnings(
            ["FINANCEHUB_WS_TIERS_GOLD_MAX_CONNECTIONS": "1", "FINANCEHUB_SOURCES_COINGECKO_BASE_ULR": "x"],
            catalog: Fixture.catalog)
        XCTAssertEqual(warnings.count, 2)
        XCTAssertTrue(
            warnings[0].contains(
                "FINANCEHUB_SOURCES_COINGECKO_BASE_ULR matches no setting; did you mean FINANCEHUB_SOURCES_COINGECKO_BASE_URL (sources.coingecko.baseUrl)?"
            ),
            warnings[0])
        XCTAssertTrue(warnings[1].contains("FINANCEHUB_WS_TIERS_GOLD_MAX_CONNECTIONS"), warnings[1])
        XCTAssertTrue(warnings[1].contains("(ws.tiers."), warnings[1])
    }

    func testSecretsAreMarkedAndNeverQuoted() async throws {
        let secret = "mysql://fh:TopSecret99@db/x"
        // A bad secret from each layer: the key and the problem, never the value.
        let file = self.write("s.yaml", "database:\n  url: \(secret)\n")
        for message in [
            await self.failure(file),
            await self.failure(environment: ["FINANCEHUB_DATABASE_URL": secret]),
            await self.failure(overrides: ["database.url": secret]),
        ] {
            XCTAssertTrue(message.contains("database.url: unsupported database location"), message)
            XCTAssertFalse(message.contains("TopSecret99"), message)
        }
        // Under a misspelt key or variable, a value is not quoted either.
        let typo = await self.failure(
            self.write("t.yaml", "database:\n  ulr: \(secret)\n"), environment: ["FINANCEHUB_DATABSE_URL": secret])
        XCTAssertTrue(typo.contains("unknown key database.ulr"), typo)
        XCTAssertTrue(typo.contains("FINANCEHUB_DATABSE_URL matches no setting"), typo)
        XCTAssertFalse(typo.contains("TopSecret99"), typo)
        // Every layer marks the declared secrets secret (so access logs would redact them).
        let both = self.write("b.yaml", "database.url: sqlite:x\nhttp.port: 1\nsources.a.keys: k\n")
        let reader = try await self.reader(
            file: both, overrides: ["database.url": "sqlite:y"],
            environment: ["FINANCEHUB_DATABASE_URL": "sqlite:z", "FINANCEHUB_SOURCES_B_KEYS": "k"])
        for layer in reader.sources.layers {
            let url = try layer.provider.value(forKey: AbsoluteConfigKey(["database", "url"]), type: .string)
            XCTAssertEqual(url.value?.isSecret, true, layer.origin(["database", "url"]))
        }
        let file2 = reader.sources.layers[2].provider
        XCTAssertEqual(try file2.value(forKey: AbsoluteConfigKey(["http", "port"]), type: .int).value?.isSecret, false)
        XCTAssertEqual(
            try file2.value(forKey: AbsoluteConfigKey(["sources", "a", "keys"]), type: .string).value?.isSecret, true)
        let environment = reader.sources.layers[1].provider
        XCTAssertEqual(
            try environment.value(forKey: AbsoluteConfigKey(["sources", "b", "keys"]), type: .string).value?.isSecret,
            true)
    }

    func testAnEnvironmentTypoWarnsWithTheClosestKey() async throws {
        let environment = [
            "FINANCEHUB_HTTP_PROT": "8001", "FINANCEHUB_ANALYTICS_MAXSYMBOLS": "5", "FINANCEHUB_TEST_POSTGRES_URL": "x",
            "FINANCEHUB_BENCH_ANYTHING": "x", "FINANCEHUB_LOG_LEVEL": "debug", "HOME": "/root",
        ]
        let settings = try await AppSettings.load(configFile: nil, overrides: [:], environment: environment)
        XCTAssertEqual(
            settings.warnings,
            [
                "warning: environment variable FINANCEHUB_ANALYTICS_MAXSYMBOLS matches no setting; did you mean FINANCEHUB_ANALYTICS_MAX_SYMBOLS (analytics.maxSymbols)?",
                "warning: environment variable FINANCEHUB_HTTP_PROT matches no setting; did you mean FINANCEHUB_HTTP_PORT (http.port)?",
            ])
        XCTAssertEqual(settings.server.port, 8000)
        XCTAssertEqual(settings.logLevel, .debug)
        XCTAssertEqual(EnvironmentCheck.editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(EnvironmentCheck.editDistance("", "abc"), 3)
    }

    func testEveryProblemAtOnceByKeyAndOriginWithoutValues() async throws {
        let file = self.write("c.json", #"{"http": {"prot": 1, "maxBodyBytes": [1, 2]}, "feed": {"seed": 2.5}}"#)
        let message = await self.failure(
            file, overrides: ["feed.mode": "liev"],
            environment: [
                "FINANCEHUB_HTTP_PORT": "http-9999", "FINANCEHUB_LOG_LEVEL": "loudest",
                "FINANCEHUB_FEED_SYMBOLS": "btc,dogecoin", "FINANCEHUB_FEED_TICKS_PER_SECOND": "nan",
            ])
        for part in [
            "invalid configuration:", "config file \(file): unknown key http.prot (known: http.host, http.port",
            "http.port: expected an integer in 0...65535 (from FINANCEHUB_HTTP_PORT)",
            "http.maxBodyBytes: expected an integer in 1024...1073741824 (from config file \(file))",
            "feed.seed: expected an integer ≥ 0 (from config file \(file))",
            "feed.ticksPerSecond: expected a number in 0.01...1000 (from FINANCEHUB_FEED_TICKS_PER_SECOND)",
            "feed.symbols: item 2 is not a simulated symbol (known: AAPL,BTC,",
            "feed.mode: expected simulated, providers or both (comma-separated), or none alone",
            "log.level: expected one of trace, debug, info, notice, warning, error, critical (from FINANCEHUB_LOG_LEVEL)",
        ] {
            XCTAssertTrue(message.contains(part), "\(part)\n\(message)")
        }
        for value in ["http-9999", "loudest", "dogecoin", "liev", "2.5"] {
            XCTAssertFalse(message.contains(value), "\(value)\n\(message)")
        }
    }

    func testEveryCommandThatOpensADatabaseReadsTheSameLayers() async throws {
        let fromFile = self.path("file.sqlite")
        let fromEnvironment = self.path("env.sqlite")
        let fromFlag = self.path("flag.sqlite")
        let config = self.write("c.yaml", "database:\n  url: sqlite:\(fromFile)\n")
        let csv = self.write("x.csv", "timestamp,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,100\n")
        let migrated = await FinanceHubCommand.run(arguments: ["migrate", "--config", config])
        XCTAssertEqual(migrated, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: fromFile))
        setenv("FINANCEHUB_DATABASE_URL", "sqlite:" + fromEnvironment, 1)
        defer { unsetenv("FINANCEHUB_DATABASE_URL") }
        let imported = await FinanceHubCommand.run(arguments: [
            "import", "bars", "--symbol", "x", "--interval", "1d", "--config", config, csv,
        ])
        XCTAssertEqual(imported, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: fromEnvironment))
        let ticks = self.write("t.csv", "timestamp,price\n2024-01-02,10\n")
        let flagged = await FinanceHubCommand.run(arguments: [
            "import", "ticks", "--symbol", "x", "--config", config, "--database", "sqlite:" + fromFlag, ticks,
        ])
        XCTAssertEqual(flagged, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: fromFlag))
        // A config file with a typo stops every command the same way (exit 1), before it opens anything.
        let typo = self.write("typo.yaml", "database:\n  ulr: sqlite:\(self.path("never.sqlite"))\n")
        for arguments in [
            ["migrate", "--config", typo], ["bench", "rollup", "--config", typo],
            ["migrate", "--config", self.path("none.yaml")],
        ] {
            let code = await FinanceHubCommand.run(arguments: arguments)
            XCTAssertEqual(code, 1, "\(arguments)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: self.path("never.sqlite")))
        XCTAssertNoThrow(try FinanceHubCommand.parseAsRoot(["serve", "--config", config]))
    }

    func testEveryDeclaredKeyIsDocumentedOnce() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/configuration.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for section in AppSettings.catalog.sections {
            for key in section.keys {
                let name = section.fullName(key)
                let rows = text.split(separator: "\n").filter { $0.hasPrefix("| `\(name)` |") }
                XCTAssertEqual(rows.count, 1, name)
                // Its default and its secret marking as declared.
                let row = rows.first ?? ""
                XCTAssertTrue(row.contains(key.defaultText ?? "|  |"), "\(name): \(row)")
                XCTAssertEqual(row.contains("secret"), key.isSecret, "\(name): \(row)")
            }
        }
        for rule in ["PER_IP_PER_MINUTE", "FINANCEHUB_TEST_", "FINANCEHUB_BENCH_", "secret"] {
            XCTAssertTrue(text.contains(rule), rule)
        }
    }
}

/// The real `providers.*` sections read into `ProviderSettings`.
final class ProviderSettingsTests: TemporaryFolderTestCase {
    func testProvidersAreConfiguredPerNameWithDefaultsAndChecks() async throws {
        let file = self.write(
            "p.yaml",
            """
            providers:
              preference: [coingecko, polygon]
              watchlist: btc, aapl
              cache:
                quoteSeconds: 5
              coingecko:
                baseUrl: http://127.0.0.1:9001/api/v3/
                keys: [k1, k2]
              polygon:
                budgets:
                  perMinute: 100
            """)
        let settings = try await AppSettings.load(
            configFile: file, overrides: [:],
            environment: [
                "FINANCEHUB_PROVIDERS_FINNHUB_KEYS": "f1", "FINANCEHUB_PROVIDERS_NEWSAPI_ENABLED": "false",
                "FINANCEHUB_PROVIDERS_BINANCE_WS_URL": "ws://127.0.0.1:9002",
            ])
        let p = settings.providers
        XCTAssertEqual(p.preference, ["coingecko", "polygon"])
        XCTAssertEqual(p.watchlist, ["BTC", "AAPL"])
        XCTAssertEqual(p.quoteCacheSeconds, 5)
        XCTAssertEqual(p.barsCacheSeconds, 3_600)
        XCTAssertEqual(p.providers["coingecko"]?.baseURL, "http://127.0.0.1:9001/api/v3", "trailing slash dropped")
        XCTAssertEqual(p.providers["coingecko"]?.keys, ["k1", "k2"])
        XCTAssertEqual(p.providers["polygon"]?.budget, ProviderBudget(perMinute: 100))
        XCTAssertEqual(p.providers["finnhub"]?.keys, ["f1"])
        XCTAssertEqual(p.providers["finnhub"]?.budget, ProviderBudget(perSecond: 30, perMinute: 60), "defaults kept")
        XCTAssertEqual(p.providers["binance"]?.wsURL, "ws://127.0.0.1:9002")
        XCTAssertEqual(p.providers["alphavantage"]?.baseURL, "https://www.alphavantage.co")
        XCTAssertEqual(
            p.usable.map(\.name), ["coingecko", "finnhub", "binance", "coinbase"],
            "preference first, then the rest; keyless providers that need keys are out")
        XCTAssertEqual(
            p.disabledReasons,
            [
                "alphavantage: disabled, no API key (set providers.alphavantage.keys)",
                "coinmarketcap: disabled, no API key (set providers.coinmarketcap.keys)",
                "polygon: disabled, no API key (set providers.polygon.keys)",
                "newsapi: disabled by configuration",
            ])
        XCTAssertTrue(
            ServeCommand.providersText(p).hasPrefix(
                "coingecko, finnhub, binance, coinbase; alphavantage: disabled, no API key"),
            "serve says which providers it uses and why the others are off")
        XCTAssertFalse(ServeCommand.providersText(p).contains("k1"), "keys are never printed")
    }

    func testBadProviderSettingsAreReportedTogetherWithoutValues() async throws {
        let file = self.write(
            "p.yaml",
            """
            providers:
              preference: coingecko, iex
              watchlist: "BTC, bad symbol!"
              coingecko:
                baseUrl: ftp://secret-host
              binance:
                wsUrl: https://x
              iex:
                keys: k
            """)
        do {
            _ = try await AppSettings.load(configFile: file, overrides: [:], environment: [:])
            XCTFail("expected a configuration error")
        } catch let error as CLIFailure {
            let message = "\(error)"
            for expected in [
                "unknown key providers.iex.keys", "providers.preference: items 2 name no provider",
                "providers.watchlist: items 2 are not symbols",
                "providers.coingecko.baseUrl: expected a http or https URL",
                "providers.binance.wsUrl: expected a ws or wss URL",
            ] {
                XCTAssertTrue(message.contains(expected), "\(expected) in \(message)")
            }
            XCTAssertFalse(message.contains("secret-host"), "values are never quoted")
        }
    }
}
