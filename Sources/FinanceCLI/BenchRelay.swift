import ArgumentParser
import FinanceCore
import FinanceStorage
import FinanceStoragePostgres
import Foundation
import Logging
import Synchronization

/// `financehub bench relay`: two relay instances in this process on one PostgreSQL database, one sending ticks as
/// fast as it can for a while, the other receiving; prints payloads/s and ticks/s delivered.
struct BenchRelay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract:
            "Relay throughput over PostgreSQL LISTEN/NOTIFY: payloads/s and ticks/s delivered between two relay instances (on a channel of its own)."
    )

    @Option(help: "The PostgreSQL database (postgres://user:pass@host:port/db).") var database: String
    @Option(help: "Seconds to send for.") var seconds = 5.0
    @Option(help: "Symbols the ticks cycle through (fewer symbols pack tighter).") var symbols = 100
    @Option(help: "Ticks per send (what gathers on the market bus while a send is in flight).") var batch = 10_000

    func validate() throws {
        try BenchLimits.atLeastOne(self.symbols, "--symbols")
        try BenchLimits.atLeastOne(self.batch, "--batch")
        guard self.seconds > 0, self.seconds <= 3_600 else {
            throw ArgumentParser.ValidationError("--seconds must be more than 0 and at most 3600")
        }
        try DatabaseOptions.check(self.database, option: "--database")
        guard case .postgres = try DatabaseLocation(parsing: self.database) else {
            throw ArgumentParser.ValidationError("--database must be a postgres:// URL: the relay runs on PostgreSQL")
        }
    }

    func run() async throws {
        LoggingSetup.bootstrap(level: .warning)
        let logger = Logger(label: "financehub.bench")
        let store = try await PostgresStore.connect(url: self.database, logger: logger)
        // A channel of its own: instances serving the same database never see the benchmark's ticks.
        let channel = "financehub_relay_bench_\(RelayInstanceId.random())"
        let sender = PostgresRelay(store: store, instanceId: "bencha", channel: channel, logger: logger)
        let receiver = PostgresRelay(
            store: store, instanceId: "benchb", channel: channel, receiveBuffer: 10_000_000, logger: logger)
        let delivered = Mutex(0)
        let receiving = Task { await receiver.run() }
        let counting = Task {
            for await batch in receiver.received { delivered.withLock { $0 += batch.count } }
        }
        defer {
            receiving.cancel()
            counting.cancel()
        }
        let ready = ContinuousClock.now + .seconds(10)
        while !receiver.stats.listening {
            guard ContinuousClock.now < ready else { throw CLIFailure("the receiving relay did not start listening") }
            try await Task.sleep(for: .milliseconds(10))
        }
        let batches = self.batches(count: 8)
        Console.info(
            "bench relay: sending \(self.batch)-tick batches over \(self.symbols) symbols for \(self.seconds) s")
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int64(self.seconds * 1_000))
        var sentTicks = 0
        var round = 0
        while ContinuousClock.now < end {
            try await sender.send(batches[round % batches.count])
            sentTicks += self.batch
            round += 1
        }
        let sendSeconds = Progress.seconds(ContinuousClock.now - start)
        let sent = sender.stats
        let drain = ContinuousClock.now + .seconds(60)
        while receiver.stats.receivedPayloads + receiver.stats.missedPayloads < sent.sentPayloads,
            ContinuousClock.now < drain
        {
            try await Task.sleep(for: .milliseconds(5))
        }
        let seconds = Progress.seconds(ContinuousClock.now - start)
        let got = receiver.stats
        receiving.cancel()
        await receiving.value
        try await store.close()
        try Output.line(
            String(
                format:
                    "relay %.0f payloads/s, %.0f ticks/s delivered (%d of %d payloads, %d of %d ticks, %d missed; %.0f ticks and %.0f bytes per payload; sent in %.2f s, delivered in %.2f s)",
                Double(got.receivedPayloads) / seconds, Double(got.receivedMessages) / seconds,
                got.receivedPayloads, sent.sentPayloads, got.receivedMessages, sentTicks, got.missedPayloads,
                Double(sentTicks) / Double(max(1, sent.sentPayloads)), self.bytesPerPayload(batches[0]), sendSeconds,
                seconds))
    }

    /// `count` batches of ticks: a random walk per symbol, advancing time, size and sometimes bid/ask as feeds send.
    private func batches(count: Int) -> [[RelayMessage]] {
        var state: UInt64 = 42
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / 9_007_199_254_740_992.0
        }
        let names = (0..<self.symbols).map { "BENCH\($0)" }
        var prices = (0..<self.symbols).map { _ in 50 + uniform() * 500 }
        var ts: Int64 = 1_717_000_000_000
        return (0..<count).map { _ in
            (0..<self.batch).map { i in
                let s = i % self.symbols
                prices[s] = ((prices[s] * (1 + (uniform() - 0.5) * 0.001)) * 100).rounded() / 100
                ts += Int64(uniform() * 4)
                let bid = i % 4 == 0 ? prices[s] - 0.01 : nil
                return .market(
                    .tick(
                        Tick(
                            symbol: names[s], ts: ts, price: prices[s], size: (uniform() * 1_000).rounded() / 1_000,
                            bid: bid, ask: bid.map { $0 + 0.02 })))
            }
        }
    }

    /// The average size of the payloads one batch packs into.
    private func bytesPerPayload(_ batch: [RelayMessage]) -> Double {
        let bodies = RelayCodec.pack(batch, instance: "bencha").bodies
        let header = RelayCodec.header(instance: "bencha", sequence: 1_000_000).utf8.count
        return Double(bodies.reduce(0) { $0 + $1.text.utf8.count + header }) / Double(max(1, bodies.count))
    }
}
