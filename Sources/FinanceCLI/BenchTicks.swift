import ArgumentParser
import FinanceCore
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

struct BenchTicks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticks",
        abstract: "POST /api/ticks end to end: ticks/s through HTTP, validation, storage and rollups.")

    @Option(help: "Database of the server (default a fresh temporary SQLite file).") var database: String?
    @Option(help: "Ticks per request.") var batch = 1_000
    @Option(help: "Requests in total.") var requests = 200
    @Option(help: "Concurrent clients.") var clients = 4

    func validate() throws {
        try BenchLimits.atLeastOne(self.batch, "--batch")
        try BenchLimits.atLeastOne(self.requests, "--requests")
        try BenchLimits.atLeastOne(self.clients, "--clients")
        if let database = self.database { try DatabaseOptions.check(database, option: "--database") }
    }

    func run() async throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("financehub-ticks-\(getpid())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let db = self.database ?? ("sqlite:" + tmp.appendingPathComponent("ticks.sqlite").path)
        let (server, port, apiKey) = try SelfProcess.startServer(database: db)
        defer { server.terminate() }
        // Pre-build bodies: 8 symbols, advancing time, so ticks build many minute bars.
        let symbols = (0..<8).map { "TB\(getpid() % 10_000)S\($0)" }
        let bodies: [Data] = (0..<self.requests).map { r in
            let items = (0..<self.batch).map { i -> String in
                let n = r * self.batch + i
                let ts = 1_704_067_200_000 + Int64(n) * 250
                let price = 100 + Double(n % 997) / 100
                return
                    "{\"symbol\":\"\(symbols[n % symbols.count])\",\"ts\":\(ts),\"price\":\(price),\"size\":\(1 + n % 9),\"bid\":\(price - 0.01),\"ask\":\(price + 0.01)}"
            }
            return Data(("[" + items.joined(separator: ",") + "]").utf8)
        }
        let url = URL(string: "http://127.0.0.1:\(port)/api/ticks")!
        let session = URLSession(configuration: .ephemeral)
        let clients = max(1, self.clients)
        let seconds = try await Stopwatch.time {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for c in 0..<clients {
                    group.addTask {
                        for r in stride(from: c, to: bodies.count, by: clients) {
                            var request = URLRequest(url: url)
                            request.httpMethod = "POST"
                            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                            request.setValue(apiKey, forHTTPHeaderField: "X-API-Key")
                            request.httpBody = bodies[r]
                            let (data, response) = try await session.data(for: request)
                            guard (response as? HTTPURLResponse)?.statusCode == 201 else {
                                throw CLIFailure("POST /api/ticks failed: \(String(decoding: data, as: UTF8.self))")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        server.terminate()
        server.waitUntilExit()
        let total = self.batch * self.requests
        try Output.line(
            String(
                format: "post_ticks %.0f ticks/s (%d ticks in %d requests of %d, %d clients, %.2f s)",
                Double(total) / seconds,
                total, self.requests, self.batch, clients, seconds))
    }
}
