// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "FinanceHub",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "financehub", targets: ["financehub"]),
        .library(name: "FinanceCore", targets: ["FinanceCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-crypto", "4.1.0"..<"5.0.0"),
        // TLS of the alert emails' SMTP client (already in the graph through async-http-client).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        // Alert message templates.
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Latency percentiles of `bench ws`.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(
            url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: ["JSON", "YAML"]),
        // Already in the graph through swift-configuration's YAML trait: read a config file's keys to report typos.
        .package(url: "https://github.com/jpsim/Yams", "5.4.0"..<"7.0.0"),
    ],
    targets: [
        // Pure domain: no NIO, no database, no HTTP.
        .target(name: "FinanceCore"),
        // Benchmarks of the domain: labeled generators, accuracy scoring and timing harnesses (`financehub bench`).
        .target(name: "FinanceBenchmarks", dependencies: ["FinanceCore"]),
        // Repository protocols, the in-memory store, and the protocols drivers implement for the application layer.
        .target(
            name: "FinanceStorage",
            dependencies: [
                "FinanceCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]),
        // The storage contract test suite, shared by the tests of every store.
        .target(
            name: "FinanceStorageTesting",
            dependencies: ["FinanceCore", "FinanceStorage"]),
        .target(
            name: "FinanceStorageSQLite",
            dependencies: [
                "FinanceCore", "FinanceStorage",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .target(
            name: "FinanceStoragePostgres",
            dependencies: [
                "FinanceCore", "FinanceStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Market-data providers: adapters from each source's wire format to domain values.
        .target(
            name: "FinanceProviders",
            dependencies: [
                "FinanceCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ]),
        // Local stand-ins for the upstream providers (their documented REST shapes and trade streams over WebSocket,
        // recorded requests, injected faults): the providers' tests and benchmarks run against them, never the internet.
        .target(
            name: "FinanceProviderFakes",
            dependencies: [
                "FinanceCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // The application layer above storage and providers: ingestion, queries, quotes, buses, feeds, live analytics.
        .target(
            name: "FinanceApp",
            dependencies: [
                "FinanceCore", "FinanceStorage", "FinanceProviders",
                // Alert delivery: webhooks and push over HTTP, email over SMTP (NIO + NIOSSL), mustache messages.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .target(
            name: "FinanceServer",
            dependencies: [
                "FinanceCore", "FinanceStorage", "FinanceApp", "FinanceProviders",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // WebSocketUpgradeChannel: the upgrade pipeline (NIOHTTP1, NIOWebSocket, NIOConcurrencyHelpers).
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources")]),
        // The command line (serve, migrate, import, indicators, bench...): the only target that picks a storage driver.
        // `bench providers` runs the provider layer against the fakes (never the internet); `bench ws` is a lean
        // SwiftNIO WebSocket load client.
        .target(
            name: "FinanceCLI",
            dependencies: [
                "FinanceCore", "FinanceStorage", "FinanceStorageSQLite", "FinanceStoragePostgres",
                "FinanceProviders", "FinanceApp", "FinanceServer", "FinanceBenchmarks", "FinanceProviderFakes",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Yams", package: "Yams"),
            ]),
        .executableTarget(name: "financehub", dependencies: ["FinanceCLI"]),
        .testTarget(
            name: "FinanceCoreTests",
            dependencies: ["FinanceCore", "FinanceBenchmarks"],
            resources: [.copy("../Fixtures")]),
        .testTarget(
            name: "FinanceStorageTests",
            dependencies: ["FinanceCore", "FinanceStorage", "FinanceStorageTesting", "FinanceStorageSQLite"]),
        .testTarget(
            name: "FinanceStoragePostgresTests",
            dependencies: [
                "FinanceCore", "FinanceStorage", "FinanceStorageTesting", "FinanceStoragePostgres",
                .product(name: "Logging", package: "swift-log"),
                // Raw connections to watch the relay's NOTIFY traffic and to end its listener.
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]),
        // Helpers shared by the test targets (the app under test, temporary folders, signal collection).
        .target(
            name: "FinanceTestSupport",
            dependencies: [
                "FinanceCore", "FinanceStorage", "FinanceApp", "FinanceServer", "FinanceProviders",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/FinanceTestSupport"),
        .testTarget(
            name: "FinanceProvidersTests",
            dependencies: [
                "FinanceCore", "FinanceProviders", "FinanceProviderFakes",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "FinanceAppTests",
            dependencies: [
                "FinanceCore", "FinanceStorage", "FinanceStorageSQLite", "FinanceProviders", "FinanceApp",
                "FinanceTestSupport", .product(name: "Logging", package: "swift-log"),
                // Alert delivery: local receivers (webhook, ntfy, Gotify) and the SMTP server's TLS certificate.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(
            name: "FinanceServerTests",
            dependencies: [
                "FinanceCore", "FinanceStorage", "FinanceStorageSQLite", "FinanceServer", "FinanceApp",
                "FinanceStoragePostgres", "FinanceCLI", "FinanceTestSupport", "FinanceBenchmarks",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .testTarget(
            name: "FinanceCLITests",
            dependencies: [
                "FinanceCore", "FinanceStorage", "FinanceStorageSQLite", "FinanceApp", "FinanceCLI",
                "FinanceTestSupport", "FinanceProviderFakes", "FinanceProviders",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
    ]
)
