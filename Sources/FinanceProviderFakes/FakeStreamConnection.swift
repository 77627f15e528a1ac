import FinanceCore
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle
import Synchronization

/// One WebSocket connection of the fake server.
final class FakeStreamConnection: Sendable {
    struct State {
        var open = true
        var subscriptions: [String] = []
        var sequence: Int64 = 0
        var tradesSent = 0
    }

    let index: Int
    let channel: any Channel
    let outbound: WebSocketOutboundWriter
    let state = Mutex(State())

    init(index: Int, channel: any Channel, outbound: WebSocketOutboundWriter) {
        self.index = index
        self.channel = channel
        self.outbound = outbound
    }

    var isOpen: Bool { self.state.withLock { $0.open } }

    /// The next sequence number (Coinbase).
    func nextSequence() -> Int64 {
        self.state.withLock { s in
            defer { s.sequence += 1 }
            return s.sequence
        }
    }

    /// Marks the connection closed, waits until what was written before is on the socket, and closes it.
    func drop() async {
        let wasOpen = self.state.withLock { s in
            defer { s.open = false }
            return s.open
        }
        guard wasOpen else { return }
        // A ping written from the channel's end comes after every frame already handed to the writer.
        let barrier = WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())
        try? await self.channel.writeAndFlush(barrier)
        // Half-close first (FIN after the data), so an answer still in flight cannot turn the close into a reset that
        // discards data; close fully if the client does not.
        do {
            try await self.channel.close(mode: .output)
        } catch {
            try? await self.channel.close()
            return
        }
        let channel = self.channel
        Task {
            try? await Task.sleep(for: .seconds(1))
            try? await channel.close()
        }
    }
}

/// The state of a fake server: its connections and what they subscribed.
final class FakeStreamRegistry: Sendable {
    struct State {
        var connections: [FakeStreamConnection] = []
        var received: [String] = []
    }

    let flavor: FakeTradeStreamServer.Flavor
    let options: FakeTradeStreamServer.Options
    let state = Mutex(State())

    init(flavor: FakeTradeStreamServer.Flavor, options: FakeTradeStreamServer.Options) {
        self.flavor = flavor
        self.options = options
    }

    var connectionCount: Int { self.state.withLock { $0.connections.count } }
    var openConnections: [FakeStreamConnection] { self.state.withLock { $0.connections.filter(\.isOpen) } }
    var received: [String] { self.state.withLock { $0.received } }

    func subscriptionLog(_ index: Int) -> [String] {
        let connection = self.state.withLock { $0.connections.indices.contains(index) ? $0.connections[index] : nil }
        return connection?.state.withLock { $0.subscriptions } ?? []
    }

    func subscribedConnection(_ items: [String]) -> Int? {
        self.openConnections.last(where: { c in
            let subscribed = Set(c.state.withLock { $0.subscriptions })
            return items.allSatisfy(subscribed.contains)
        })?.index
    }

    func subscriptionKey(_ symbol: String) -> String {
        switch self.flavor {
        case .binance: return symbol.lowercased() + "@trade"
        case .coinbase: return "market_trades:" + symbol
        case .finnhub: return symbol
        }
    }

    static func nowMilliseconds() -> Int64 { Int64(nowFractionalMilliseconds()) }

    static func nowFractionalMilliseconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) * 1000 + Double(spec.tv_nsec) / 1_000_000
    }

    /// The value of query parameter `name` in `path`.
    static func query(_ path: String, _ name: String) -> String? {
        guard let q = path.firstIndex(of: "?") else { return nil }
        for pair in path[path.index(after: q)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == name { return String(parts[1]).removingPercentEncoding }
        }
        return nil
    }

    /// Runs one connection until it closes.
    func serve(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel, path: String
    ) async throws {
        let connection = self.state.withLock { s in
            let c = FakeStreamConnection(index: s.connections.count, channel: channel, outbound: outbound)
            s.connections.append(c)
            return c
        }
        if self.flavor == .binance, let streams = Self.query(path, "streams") {
            let list = streams.split(separator: "/").map(String.init)
            connection.state.withLock { $0.subscriptions += list }
        }
        let pinger: Task<Void, Never>? = self.options.pingInterval.map { interval in
            Task {
                while !Task.isCancelled && connection.isOpen {
                    try? await Task.sleep(for: interval)
                    await self.ping(connection)
                }
            }
        }
        defer {
            pinger?.cancel()
            connection.state.withLock { $0.open = false }
        }
        for try await message in inbound.messages(maxSize: self.options.maxFrameSize) {
            guard case .text(let text) = message else { continue }
            self.state.withLock { $0.received.append(text) }
            if let reply = self.handle(text, on: connection) {
                try await outbound.write(.text(reply))
            }
        }
    }

    /// Applies a client message; returns the answer to send, if any.
    private func handle(_ text: String, on connection: FakeStreamConnection) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            return self.flavor == .binance ? #"{"code":3,"msg":"Invalid JSON"}"# : nil
        }
        switch self.flavor {
        case .binance:
            let id = object["id"].map { "\($0)" } ?? "null"
            let params = object["params"] as? [String] ?? []
            switch object["method"] as? String {
            case "SUBSCRIBE":
                connection.state.withLock { $0.subscriptions += params }
                return "{\"result\":null,\"id\":\(id)}"
            case "UNSUBSCRIBE":
                connection.state.withLock { s in s.subscriptions.removeAll { params.contains($0) } }
                return "{\"result\":null,\"id\":\(id)}"
            default:
                return #"{"code":2,"msg":"Invalid request"}"#
            }
        case .coinbase:
            guard object["type"] as? String == "subscribe", let channel = object["channel"] as? String else {
                return #"{"type":"error","message":"failure to subscribe"}"#
            }
            let products = object["product_ids"] as? [String] ?? []
            connection.state.withLock { $0.subscriptions += products.map { channel + ":" + $0 } }
            let list = products.map { "\"\($0)\"" }.joined(separator: ",")
            return "{\"channel\":\"subscriptions\",\"client_id\":\"\",\"timestamp\":\"\(Self.isoNow())\","
                + "\"sequence_num\":\(connection.nextSequence()),"
                + "\"events\":[{\"subscriptions\":{\"\(channel)\":[\(list)]}}]}"
        case .finnhub:
            guard let symbol = object["symbol"] as? String else { return #"{"type":"error","msg":"Invalid"}"# }
            switch object["type"] as? String {
            case "subscribe": connection.state.withLock { $0.subscriptions.append(symbol) }
            case "unsubscribe": connection.state.withLock { $0.subscriptions.removeAll { $0 == symbol } }
            default: return #"{"type":"error","msg":"Unknown type"}"#
            }
            return nil
        }
    }

    static func isoNow() -> String { iso(nowFractionalMilliseconds()) }

    /// ISO-8601 UTC with microseconds, as Coinbase writes times.
    static func iso(_ ms: Double) -> String {
        let micros = Int64((ms * 1000).rounded(.down))
        let seconds = micros / 1_000_000
        let (days, secondOfDay) = (seconds / 86_400, Int(seconds % 86_400))
        // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yoe + era * 400 + (month <= 2 ? 1 : 0))
        return String(
            format: "%04ld-%02ld-%02ldT%02ld:%02ld:%02ld.%06ldZ", year, month, day, secondOfDay / 3600,
            secondOfDay / 60 % 60, secondOfDay % 60, Int(micros % 1_000_000))
    }

    /// The frame of `trade` for `connection`.
    private func frame(_ trade: FakeTradeStreamServer.Trade, on connection: FakeStreamConnection) -> String {
        let now = Self.nowFractionalMilliseconds()
        switch self.flavor {
        case .binance:
            let data =
                "{\"e\":\"trade\",\"E\":\(Int64(now)),\"s\":\"\(trade.symbol)\",\"t\":\(trade.id),"
                + "\"p\":\"\(trade.price)\",\"q\":\"\(trade.size)\",\"T\":\(trade.ts),\"m\":true,\"M\":true}"
            return "{\"stream\":\"\(trade.symbol.lowercased())@trade\",\"data\":\(data)}"
        case .coinbase:
            return "{\"channel\":\"market_trades\",\"client_id\":\"\",\"timestamp\":\"\(Self.iso(now))\","
                + "\"sequence_num\":\(connection.nextSequence()),\"events\":[{\"type\":\"update\",\"trades\":["
                + "{\"trade_id\":\"\(trade.id)\",\"product_id\":\"\(trade.symbol)\",\"price\":\"\(trade.price)\","
                + "\"size\":\"\(trade.size)\",\"side\":\"BUY\",\"time\":\"\(Self.iso(Double(trade.ts)))\"}]}]}"
        case .finnhub:
            return "{\"type\":\"trade\",\"data\":[{\"p\":\(trade.price),\"s\":\"\(trade.symbol)\","
                + "\"t\":\(trade.ts),\"v\":\(trade.size),\"c\":[\"1\"]}]}"
        }
    }

    func publish(_ trade: FakeTradeStreamServer.Trade) async -> Bool {
        let key = self.subscriptionKey(trade.symbol)
        let targets = self.openConnections.filter { c in c.state.withLock { $0.subscriptions.contains(key) } }
        var delivered = false
        for connection in targets {
            do {
                try await connection.outbound.write(.text(self.frame(trade, on: connection)))
            } catch {
                continue
            }
            let (open, sent) = connection.state.withLock { s in
                if s.open { s.tradesSent += 1 }
                return (s.open, s.tradesSent)
            }
            guard open else { continue }
            delivered = true
            if let every = self.options.dropEvery, every > 0, sent % every == 0 { await connection.drop() }
        }
        return delivered
    }

    func sendRaw(_ text: String) async {
        for connection in self.openConnections { try? await connection.outbound.write(.text(text)) }
    }

    func skipSequence(_ count: Int64) {
        for connection in self.openConnections { connection.state.withLock { $0.sequence += count } }
    }

    func pingAll() async {
        for connection in self.openConnections { await self.ping(connection) }
    }

    private func ping(_ connection: FakeStreamConnection) async {
        guard connection.isOpen else { return }
        switch self.flavor {
        case .binance:
            try? await connection.outbound.write(.custom(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())))
        case .coinbase:
            let text =
                "{\"channel\":\"heartbeats\",\"client_id\":\"\",\"timestamp\":\"\(Self.isoNow())\","
                + "\"sequence_num\":\(connection.nextSequence()),"
                + "\"events\":[{\"current_time\":\"\(Self.isoNow())\",\"heartbeat_counter\":1}]}"
            try? await connection.outbound.write(.text(text))
        case .finnhub:
            try? await connection.outbound.write(.text(#"{"type":"ping"}"#))
        }
    }

    func dropAll() async {
        for connection in self.openConnections { await connection.drop() }
    }
}
