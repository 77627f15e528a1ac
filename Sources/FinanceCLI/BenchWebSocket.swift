import ArgumentParser
import FinanceCore
import Foundation
import NIOCore

/// `financehub bench ws`: WebSocket fan-out under load. Opens `--clients` authenticated subscribers of
/// `/ws/market/{symbol}/price` spread evenly over `--symbols`, publishes ticks through `POST /api/ticks` (at
/// `--rate` ticks/s, or as fast as the server answers), and prints per run the delivered messages/s, the delivery
/// ratio (received / ticks accepted × clients of their symbol), the clients that received every tick, latency
/// p50/p99/max from each message's `ts`, and the CPU and memory of the tool and the server. Progress goes to stderr,
/// the table to stdout. Without `--url` it starts its own server (`serve --feed none` on a fresh SQLite file, with
/// an admin `bench`); loopback targets only.
struct BenchWebSocket: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ws",
        abstract:
            "WebSocket fan-out: delivered msgs/s, delivery ratio and latency from ts under N clients over S symbols."
    )

    @Option(help: "A running server (http://127.0.0.1:PORT; loopback only). Default: start one.") var url: String?
    @Option(help: "User to sign in as (with --url; the password comes from --password-stdin).") var user: String?
    @Flag(help: "Read the password of --user from stdin (one line).") var passwordStdin = false
    @Option(help: "The server's process id, to report its CPU and memory (with --url).") var serverPid: Int32?
    @Option(help: "Database of the server it starts (default a fresh temporary SQLite file).") var database: String?
    @Option(help: "WebSocket clients in total.") var clients = 1_000
    @Option(help: "Symbols; client i subscribes to symbol i mod S.") var symbols = 100
    @Option(help: "Seconds of publishing per run.") var duration = 10.0
    @Option(help: "Ticks per second in total; 0 = as fast as the server answers.") var rate = 0.0
    @Option(help: "Ticks per POST /api/ticks.") var batchSize = 100
    @Option(help: "Concurrent publishers.") var publishers = 2
    @Option(help: "Runs over the same connections; the best is reported.") var runs = 5
    @Option(help: "Seconds without a new message after publishing before a run is counted.") var drain = 2.0
    @Option(help: "Event-loop threads of the clients (default: one per core).") var threads = System.coreCount

    func validate() throws {
        for (value, name) in [
            (self.clients, "--clients"), (self.symbols, "--symbols"), (self.batchSize, "--batch-size"),
            (self.publishers, "--publishers"), (self.runs, "--runs"), (self.threads, "--threads"),
        ] {
            try BenchLimits.atLeastOne(value, name)
        }
        guard self.symbols <= self.clients else {
            throw ValidationError("--symbols must be at most --clients (every symbol needs a client)")
        }
        guard self.batchSize <= Validation.maxBatchItems else {
            throw ValidationError("--batch-size must be at most \(Validation.maxBatchItems) (the server's batch limit)")
        }
        guard self.duration.isFinite, self.duration > 0, self.duration <= 3_600 else {
            throw ValidationError("--duration must be a number of seconds in (0, 3600]")
        }
        guard self.rate.isFinite, self.rate >= 0 else { throw ValidationError("--rate must be 0 or more ticks/s") }
        guard self.drain.isFinite, self.drain > 0, self.drain <= 60 else {
            throw ValidationError("--drain must be a number of seconds in (0, 60]")
        }
        if let url = self.url {
            _ = try Self.target(url)
            guard self.user != nil, self.passwordStdin else {
                throw ValidationError(
                    "--url needs --user and --password-stdin (an admin, or a user allowed to POST /api/ticks)")
            }
            guard self.database == nil else {
                throw ValidationError("--database is for the server it starts, not --url")
            }
        } else {
            guard self.user == nil, !self.passwordStdin, self.serverPid == nil else {
                throw ValidationError("--user, --password-stdin and --server-pid go with --url")
            }
            if let database = self.database { try DatabaseOptions.check(database, option: "--database") }
        }
    }

    /// Host and port of `--url`: http or ws, a loopback host, an explicit port.
    static func target(_ text: String) throws -> (host: String, port: Int) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            ["http", "ws"].contains(scheme), let host = components.host, let port = components.port,
            (1...65_535).contains(port)
        else { throw ValidationError("--url must look like http://127.0.0.1:8000") }
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard bare == "localhost" || bare == "::1" || bare.hasPrefix("127.") else {
            throw ValidationError("--url must be a loopback address (127.0.0.0/8, localhost, ::1): this is a load tool")
        }
        return (bare == "localhost" ? "127.0.0.1" : bare, port)
    }

    func run() async throws {
        LoggingSetup.bootstrap(level: .warning)
        var server: WSLoadServer?
        defer { server?.stop() }
        let host: String
        let port: Int
        let user: String
        let password: String
        var serverPid = self.serverPid
        if let url = self.url {
            (host, port) = try Self.target(url)
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw CLIFailure("no password on stdin")
            }
            (user, password) = (self.user!, line)
        } else {
            Console.info("bench ws: starting a server (--feed none) on a fresh database")
            let started = try await WSLoadServer.start(database: self.database)
            server = started
            (host, port, user, password) = ("127.0.0.1", started.port, started.user, started.password)
            serverPid = started.process.processIdentifier
        }
        let names = (0..<self.symbols).map { "WSB\($0)" }
        let config = WSLoadEngine.Config(
            host: host, port: port, clients: self.clients, symbols: names, seconds: self.duration, rate: self.rate,
            batchSize: self.batchSize, publishers: self.publishers, drainSeconds: self.drain, threads: self.threads,
            serverPid: serverPid)
        let engine = WSLoadEngine(config)
        do {
            let results = try await self.measure(engine, user: user, password: password)
            await engine.shutdown()
            try Output.write(self.report(results, port: port), to: nil)
        } catch {
            await engine.shutdown()
            throw error
        }
    }

    private func measure(_ engine: WSLoadEngine, user: String, password: String) async throws -> [WSLoadRunResult] {
        engine.token = try await engine.login(user: user, password: password)
        Console.info("bench ws: connecting \(self.clients) clients over \(self.symbols) symbols")
        let connected = await engine.connect(token: engine.token)
        Console.info(
            String(
                format: "bench ws: %d connected in %.2f s (%d refused, %d failed)%@", connected.connected,
                connected.seconds, connected.refused, connected.failed,
                connected.firstError.map { "; first problem: \($0)" } ?? ""))
        guard connected.connected > 0 else { throw CLIFailure("no client could connect") }
        try await Task.sleep(for: .seconds(1))
        var results: [WSLoadRunResult] = []
        for run in 1...self.runs {
            Console.info("bench ws: run \(run)/\(self.runs)")
            let result = try await engine.run()
            Console.info(
                String(
                    format: "bench ws: run %d: %.0f msgs/s, ratio %.5f, p99 %.2f ms", run, result.deliveredPerSecond,
                    result.ratio, result.latency(99)))
            results.append(result)
        }
        return results
    }

    private func report(_ results: [WSLoadRunResult], port: Int) -> String {
        let rate = self.rate > 0 ? String(format: "%.0f ticks/s", self.rate) : "as fast as the server answers"
        var text =
            "bench ws: \(self.clients) clients over \(self.symbols) symbols on ws://127.0.0.1:\(port)/ws/market/{symbol}/price; "
            + "ticks \(rate) in batches of \(self.batchSize) from \(self.publishers) publishers, "
            + String(format: "%.0f s per run; latency = receipt - ts (ms resolution)\n", self.duration)
        var rows = [WSLoadReport.header]
        for (index, result) in results.enumerated() { rows.append(WSLoadReport.row("\(index + 1)", result)) }
        if let best = WSLoadReport.best(results, asFastAsPossible: self.rate == 0) {
            rows.append(WSLoadReport.row("best (\(best + 1))", results[best]))
        }
        text += WSLoadReport.table(rows)
        for note in WSLoadReport.notes(results) { text += note + "\n" }
        return text
    }
}
