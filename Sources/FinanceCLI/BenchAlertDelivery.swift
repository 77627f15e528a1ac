import ArgumentParser
import AsyncHTTPClient
import FinanceApp
import FinanceCore
import FinanceStorage
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore

/// `financehub bench alert-delivery`: many users' alerts firing at once, delivered over WebSocket. Starts a server
/// (`serve --feed none` on a fresh SQLite file) whose database holds `--users` users, each with `--alerts-per-user`
/// `price_above` alerts (WebSocket channel) on every run's symbol; each user holds one `/ws` connection subscribed to
/// `alerts`. A run posts one tick of its symbol through `POST /api/ticks` that fires all of that symbol's alerts, and
/// measures from the POST until each notification arrived: delivered / expected, p50, p99 and the last one. The
/// issue's target: 1,000 alerts of 100 users all delivered within 1 s.
struct BenchAlertDelivery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert-delivery",
        abstract: "Alerts of many users firing at once: the time until every notification arrived over WebSocket.")

    @Option(help: "Users, each with one WebSocket on the alerts channel.") var users = 100
    @Option(help: "Alerts per user that one run's tick fires.") var alertsPerUser = 10
    @Option(help: "Runs, each on a symbol of its own; the best is reported.") var runs = 5
    @Option(help: "Seconds a run waits for its notifications.") var timeout = 10.0
    @Option(help: "Database of the server it starts (default a fresh temporary SQLite file).") var database: String?

    /// Alerts one pro-tier user may hold (`alerts.tiers.pro.maxAlerts`).
    static let maxAlertsPerUser = AlertQuotaSettings().maxAlerts(.pro)

    func validate() throws {
        for (value, name) in [
            (self.users, "--users"), (self.alertsPerUser, "--alerts-per-user"), (self.runs, "--runs"),
        ] {
            try BenchLimits.atLeastOne(value, name)
        }
        guard self.users <= 10_000 else { throw ValidationError("--users must be at most 10000") }
        guard self.alertsPerUser * self.runs <= Self.maxAlertsPerUser else {
            throw ValidationError(
                "--alerts-per-user × --runs must be at most \(Self.maxAlertsPerUser) (a pro user's alert quota)")
        }
        guard self.timeout.isFinite, self.timeout > 0, self.timeout <= 600 else {
            throw ValidationError("--timeout must be a number of seconds in (0, 600]")
        }
        if let database = self.database { try DatabaseOptions.check(database, option: "--database") }
    }

    func run() async throws {
        LoggingSetup.bootstrap(level: .warning)
        let tokens = AlertLoadTokens()
        let expected = self.users * self.alertsPerUser
        Console.info(
            "bench alert-delivery: starting a server with \(self.users) users × \(self.alertsPerUser) alerts × "
                + "\(self.runs) symbols")
        let server = try await WSLoadServer.start(database: self.database, environment: self.environment) {
            store, settings in
            try await self.prepare(store, settings, tokens: tokens)
        }
        defer { server.stop() }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let arrivals = AlertArrivals()
        let clients = Task { await AlertLoadClients.run(port: server.port, tokens: tokens.users, arrivals: arrivals) }
        do {
            let admin = try await WSLoadPublisher.login(
                http: http, base: "http://127.0.0.1:\(server.port)", user: server.user, password: server.password)
            try await arrivals.waitUntilSubscribed(self.users, seconds: 60)
            Console.info("bench alert-delivery: \(self.users) users subscribed to alerts")
            var results: [AlertDeliveryRun] = []
            for run in 1...self.runs {
                let result = try await self.measure(
                    run: run, symbol: Self.symbol(run), expected: expected, arrivals: arrivals, http: http,
                    base: "http://127.0.0.1:\(server.port)", token: admin)
                Console.info(
                    String(
                        format: "bench alert-delivery: run %d: %d/%d delivered, last after %.1f ms", run,
                        result.delivered, expected, result.lastMilliseconds))
                results.append(result)
            }
            try Output.write(self.report(results, expected: expected), to: nil)
        } catch {
            clients.cancel()
            try? await http.shutdown()
            throw error
        }
        clients.cancel()
        try await http.shutdown()
    }

    /// Raises the per-user throttle when the runs together fire more than its default a minute (each run's
    /// notifications of one user are `--alerts-per-user`, well within it), so that no run is digested.
    private var environment: [String: String] {
        let perUser = max(AlertDeliverySettings().perUserPerMinute, self.alertsPerUser * self.runs)
        return ["FINANCEHUB_ALERTS_THROTTLE_PER_USER_PER_MINUTE": String(perUser)]
    }

    static func symbol(_ run: Int) -> String { "ALD\(run)" }

    /// Users `ald-user-N` (pro tier) with their alerts on every run's symbol, signed in for their tokens.
    private func prepare(_ store: any MarketStore, _ settings: AppSettings, tokens: AlertLoadTokens) async throws {
        var fastHashing = settings.auth
        fastHashing.bcryptCost = 4
        let auth = try await AuthService.make(settings: fastHashing, users: store, clock: SystemClock())
        let password = FirstAdmin.randomPassword()
        let hash = auth.hashPassword(password)
        let now = SystemClock().nowMilliseconds()
        for u in 0..<self.users {
            let name = "ald-user-\(u)"
            try await store.createUser(User(name: name, passwordHash: hash, role: .user, tier: .pro, createdAt: now))
            for run in 1...self.runs {
                for k in 0..<self.alertsPerUser {
                    let alert = Alert(
                        id: "ald-\(run)-\(u)-\(k)", owner: name, name: "\(Self.symbol(run)) above \(100 + k)",
                        target: .symbol(Self.symbol(run)), conditions: [.priceAbove(Double(100 + k))],
                        trigger: .once, channels: [.websocket], createdAt: now)
                    _ = try await store.createAlert(alert, maxAlerts: Self.maxAlertsPerUser)
                }
            }
            tokens.add(try await auth.login(user: name, password: password).accessToken)
        }
    }

    /// One run: posts the tick that fires every alert of `symbol`, then waits for their notifications.
    private func measure(
        run: Int, symbol: String, expected: Int, arrivals: AlertArrivals, http: HTTPClient, base: String,
        token: String
    ) async throws -> AlertDeliveryRun {
        var request = HTTPClientRequest(url: base + "/api/ticks")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        let ts = SystemClock().nowMilliseconds()
        request.body = .bytes(ByteBuffer(string: #"[{"symbol":"\#(symbol)","ts":\#(ts),"price":200}]"#))
        let start = ContinuousClock.now
        let response = try await http.execute(request, timeout: .seconds(30))
        let posted = ContinuousClock.now
        guard response.status.code / 100 == 2 else {
            throw CLIFailure("POST /api/ticks answered \(response.status.code) in run \(run)")
        }
        let deadline = start + .milliseconds(Int64(self.timeout * 1_000))
        while arrivals.count(symbol) < expected, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
        let times = arrivals.times(symbol).map { BenchStats.milliseconds($0 - start) }.sorted()
        return AlertDeliveryRun(
            delivered: times.count, digests: arrivals.digests,
            postMilliseconds: BenchStats.milliseconds(posted - start),
            milliseconds: times)
    }

    private func report(_ results: [AlertDeliveryRun], expected: Int) -> String {
        var text =
            "bench alert-delivery: \(self.users) users × \(self.alertsPerUser) alerts firing on one tick per run "
            + "(\(expected) notifications over WebSocket, channel alerts); times from the POST /api/ticks\n"
        var rows = [["run", "delivered", "post ms", "first ms", "p50 ms", "p99 ms", "last ms"]]
        for (index, result) in results.enumerated() { rows.append(result.row("\(index + 1)", expected: expected)) }
        let complete = results.indices.filter { results[$0].delivered == expected }
        let best = complete.min { results[$0].lastMilliseconds < results[$1].lastMilliseconds }
        if let best { rows.append(results[best].row("best (\(best + 1))", expected: expected)) }
        text += WSLoadReport.table(rows)
        if let best {
            let last = results[best].lastMilliseconds
            text += String(
                format: "all %d delivered within 1 s: %@ (best run: last after %.1f ms)\n", expected,
                last <= 1_000 ? "yes" : "no", last)
        } else {
            text += "no run delivered all \(expected) notifications within \(self.timeout) s\n"
        }
        if let digests = results.last?.digests, digests > 0 {
            text += "note: \(digests) digest messages arrived (a throttle held notifications back)\n"
        }
        return text
    }
}

/// One run of `bench alert-delivery`.
struct AlertDeliveryRun {
    var delivered: Int
    var digests: Int
    var postMilliseconds: Double
    /// Arrival times from the POST, sorted.
    var milliseconds: [Double]

    var lastMilliseconds: Double { self.milliseconds.last ?? .infinity }

    /// The nearest-rank percentile (`p` in 0...1) of the arrival times; nan when nothing arrived.
    func percentile(_ p: Double) -> Double {
        self.milliseconds.isEmpty ? .nan : BenchStats.percentile(self.milliseconds, p)
    }

    func row(_ label: String, expected: Int) -> [String] {
        [
            label, "\(self.delivered)/\(expected)", String(format: "%.1f", self.postMilliseconds),
            String(format: "%.1f", self.milliseconds.first ?? .nan), String(format: "%.1f", self.percentile(0.5)),
            String(format: "%.1f", self.percentile(0.99)), String(format: "%.1f", self.lastMilliseconds),
        ]
    }
}
