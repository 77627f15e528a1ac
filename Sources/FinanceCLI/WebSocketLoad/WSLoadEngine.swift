import AsyncHTTPClient
import Foundation
import Histogram
import NIOCore
import NIOPosix
import Synchronization

/// The engine of `financehub bench ws`: `clients` authenticated subscribers of `/ws/market/{symbol}/price` spread
/// evenly over the symbols (client `i` on symbol `i % symbols`) on one event-loop group, and runs that publish ticks
/// through `POST /api/ticks` and count what arrives. The connections stay open across runs; each run counts only
/// price messages stamped at or after its start.
final class WSLoadEngine: Sendable {
    struct Config: Sendable {
        var host = "127.0.0.1"
        var port: Int
        var clients: Int
        var symbols: [String]
        var seconds: Double
        /// Ticks per second in total; 0 = as fast as the server answers.
        var rate: Double
        var batchSize: Int
        var publishers: Int
        /// How long delivery may stall after publishing before the run is counted.
        var drainSeconds = 2.0
        var threads = System.coreCount
        var connectConcurrency = 64
        /// The server's process, for its CPU and memory (nil: not measured).
        var serverPid: Int32?

        /// The symbol of client `slot`.
        func symbolIndex(ofClient slot: Int) -> Int { slot % self.symbols.count }
    }

    struct ConnectOutcome: Sendable {
        var connected = 0
        var refused = 0
        var failed = 0
        var seconds = 0.0
        var firstError: String?
    }

    let config: Config
    let group: MultiThreadedEventLoopGroup
    let http: HTTPClient
    private let recorders: [WSLoadRecorder]
    private let channels = Mutex<[Int: any Channel]>([:])
    /// A progress line every second to stderr (nil: silent).
    private let progress: (@Sendable (String) -> Void)?

    init(_ config: Config, progress: (@Sendable (String) -> Void)? = Console.info) {
        self.config = config
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, config.threads))
        self.recorders = self.group.makeIterator().map { WSLoadRecorder(eventLoop: $0) }
        self.http = HTTPClient(
            eventLoopGroupProvider: .shared(self.group),
            configuration: .init(
                connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)))
        self.progress = progress
    }

    var baseURL: String { "http://\(self.config.host):\(self.config.port)" }

    /// Signs in; returns the access token.
    func login(user: String, password: String) async throws -> String {
        try await WSLoadPublisher.login(http: self.http, base: self.baseURL, user: user, password: password)
    }

    /// Opens every client, `connectConcurrency` handshakes at a time.
    func connect(token: String) async -> ConnectOutcome {
        let start = ContinuousClock.now
        let config = self.config
        let outcome = await withTaskGroup(of: (Int, Result<WSLoadConnector.Outcome, any Error>).self) { group in
            var result = ConnectOutcome()
            var next = 0
            func add() {
                let slot = next
                next += 1
                let recorder = self.recorders[slot % self.recorders.count]
                group.addTask {
                    do {
                        let symbol = config.symbols[config.symbolIndex(ofClient: slot)]
                        return (
                            slot,
                            .success(
                                try await WSLoadConnector.connect(
                                    slot: slot, host: config.host, port: config.port,
                                    path: "/ws/market/\(symbol)/price", token: token, loop: recorder.eventLoop,
                                    recorder: recorder))
                        )
                    } catch { return (slot, .failure(error)) }
                }
            }
            while next < min(config.clients, config.connectConcurrency) { add() }
            for await (slot, outcome) in group {
                switch outcome {
                case .success(.upgraded(let channel)):
                    result.connected += 1
                    self.channels.withLock { $0[slot] = channel }
                case .success(.refused):
                    result.refused += 1
                    result.firstError = result.firstError ?? "the server refused the WebSocket handshake"
                case .failure(let error):
                    result.failed += 1
                    result.firstError = result.firstError ?? "\(error)"
                }
                if next < config.clients { add() }
            }
            return result
        }
        var done = outcome
        done.seconds = BenchStats.seconds(ContinuousClock.now - start)
        return done
    }

    /// One run: publish for `seconds`, wait for delivery to finish (or stall for `drainSeconds`), count.
    func run() async throws -> WSLoadRunResult {
        let config = self.config
        let subscribers = self.subscribersPerSymbol()
        let startMilliseconds = WallTime.milliseconds()
        _ = try await self.onEveryLoop { $0.start(startMilliseconds: startMilliseconds) }
        let toolBefore = ProcessSample.of(getpid())
        let serverBefore = config.serverPid.flatMap(ProcessSample.of)
        let publisher = WSLoadPublisher(http: self.http, url: self.baseURL + "/api/ticks", token: self.token)
        let plan = WSLoadPublisher.Plan(
            symbols: config.symbols, seconds: config.seconds, rate: config.rate, batchSize: config.batchSize,
            publishers: config.publishers)
        let started = ContinuousClock.now
        let reporter = Task { await self.reportProgress(since: started) }
        let published = await publisher.run(plan)
        let publishSeconds = BenchStats.seconds(ContinuousClock.now - started)
        let expected = zip(published.acceptedPerSymbol, subscribers).reduce(0) { $0 + $1.0 * $1.1 }
        try await self.drain(expected: expected)
        reporter.cancel()
        let toolAfter = ProcessSample.of(getpid())
        let serverAfter = config.serverPid.flatMap(ProcessSample.of)
        var seen = try await self.onEveryLoop { $0.stop() }
        let merged = seen.removeFirst()
        let total = seen.reduce(into: merged) { all, part in
            all.latency.add(part.latency)
            all.delivered.merge(part.delivered) { $0 + $1 }
            all.total += part.total
            all.other += part.other
            all.preStart += part.preStart
            all.lastReceiveMicros = max(all.lastReceiveMicros, part.lastReceiveMicros)
            all.closed.merge(part.closed) { $1 }
        }
        let openSlots = self.openSlots()
        var complete = 0
        for slot in openSlots
        where total.delivered[slot, default: 0] >= published.acceptedPerSymbol[config.symbolIndex(ofClient: slot)] {
            complete += 1
        }
        let window =
            total.lastReceiveMicros > 0
            ? Double(total.lastReceiveMicros - startMilliseconds * 1_000) / 1e6 : publishSeconds
        return WSLoadRunResult(
            published: published, publishSeconds: publishSeconds, expected: expected, seen: total,
            receiveSeconds: max(window, 0.001), clients: openSlots.count, completeClients: complete,
            toolCPU: ProcessSample.cpuPercent(from: toolBefore, to: toolAfter),
            serverCPU: ProcessSample.cpuPercent(from: serverBefore, to: serverAfter),
            serverRSS: (serverBefore?.residentBytes, serverAfter?.residentBytes),
            toolRSS: toolAfter?.residentBytes)
    }

    /// The access token the runs use (set after `login`).
    private let tokenBox = Mutex("")
    var token: String {
        get { self.tokenBox.withLock { $0 } }
        set { self.tokenBox.withLock { $0 = newValue } }
    }

    /// Closes every client and the HTTP client, then the event loops.
    func shutdown() async {
        let channels = self.channels.withLock { state in
            defer { state = [:] }
            return Array(state.values)
        }
        for channel in channels { try? await channel.close() }
        try? await self.http.shutdown()
        try? await self.group.shutdownGracefully()
    }

    /// The clients still connected.
    func openSlots() -> Set<Int> {
        self.channels.withLock { Set($0.filter { $0.value.isActive }.keys) }
    }

    /// Connected clients per symbol index.
    private func subscribersPerSymbol() -> [Int] {
        var counts = Array(repeating: 0, count: self.config.symbols.count)
        for slot in self.openSlots() { counts[self.config.symbolIndex(ofClient: slot)] += 1 }
        return counts
    }

    /// Waits until `expected` messages arrived, or nothing arrived for `drainSeconds` (at most 60 s).
    private func drain(expected: Int) async throws {
        var last = -1
        var lastChange = ContinuousClock.now
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let total = try await self.onEveryLoop { $0.total }.reduce(0, +)
            if total >= expected { return }
            if total != last {
                last = total
                lastChange = ContinuousClock.now
            } else if BenchStats.seconds(ContinuousClock.now - lastChange) >= self.config.drainSeconds {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// A progress line every second: messages so far and the rate over the last second.
    private func reportProgress(since start: ContinuousClock.Instant) async {
        guard let progress = self.progress else { return }
        var previous = 0
        while (try? await Task.sleep(for: .seconds(1))) != nil {
            guard let total = try? await self.onEveryLoop({ $0.total }).reduce(0, +) else { return }
            let rss = self.config.serverPid.flatMap(ProcessSample.of).map {
                ", server RSS \($0.residentBytes >> 20) MiB"
            }
            progress(
                String(
                    format: "  %5.0f s: %d messages, %.0f msgs/s%@", BenchStats.seconds(ContinuousClock.now - start),
                    total, Double(total - previous), rss ?? ""))
            previous = total
        }
    }

    /// Runs `body` on every recorder's loop; returns the answers in loop order.
    private func onEveryLoop<T: Sendable>(_ body: @escaping @Sendable (WSLoadRecorder) -> T) async throws -> [T] {
        var out: [T] = []
        for recorder in self.recorders { out.append(try await recorder.eventLoop.submit { body(recorder) }.get()) }
        return out
    }
}
