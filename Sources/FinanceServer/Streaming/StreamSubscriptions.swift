import FinanceCore

/// A `/ws` channel: `price`, `quotes`, `bars.<interval>` (per symbol), `alerts` (the user's own) or `monitoring`
/// (admins only).
enum StreamChannel: Hashable, Sendable, Comparable {
    case price
    case quotes
    case bars(Interval)
    case alerts
    case monitoring

    /// The intervals of the bars channels.
    static let barIntervals: [Interval] = [.minute1, .minute5, .minute15, .hour1, .day1]

    /// Parses a channel name; nil when unknown.
    init?(name: String) {
        switch name {
        case "price": self = .price
        case "quotes": self = .quotes
        case "alerts": self = .alerts
        case "monitoring": self = .monitoring
        default:
            guard name.hasPrefix("bars."),
                let interval = Self.barIntervals.first(where: { "bars." + $0.name == name })
            else { return nil }
            self = .bars(interval)
        }
    }

    var name: String {
        switch self {
        case .price: return "price"
        case .quotes: return "quotes"
        case .bars(let interval): return "bars." + interval.name
        case .alerts: return "alerts"
        case .monitoring: return "monitoring"
        }
    }

    /// True for the channels that carry symbols.
    var hasSymbols: Bool {
        switch self {
        case .price, .quotes, .bars: return true
        case .alerts, .monitoring: return false
        }
    }

    static func < (a: StreamChannel, b: StreamChannel) -> Bool { a.name < b.name }
}

/// What one connection is subscribed to.
struct StreamSubscriptions: Sendable, Equatable {
    /// The symbols of each symbol channel (no empty sets).
    var symbols: [StreamChannel: Set<String>] = [:]
    var alerts = false
    var monitoring = false

    /// The distinct symbols over every channel (what `maxSymbols` counts).
    var symbolCount: Int {
        if self.symbols.count == 1 { return self.symbols.first!.value.count }
        return self.symbols.values.reduce(into: Set<String>()) { $0.formUnion($1) }.count
    }

    /// The number of (channel, symbol) pairs plus the per-user channels.
    var count: Int {
        self.symbols.values.reduce(0) { $0 + $1.count } + (self.alerts ? 1 : 0) + (self.monitoring ? 1 : 0)
    }

    /// These subscriptions with `channels` × `symbols` added.
    func adding(_ channels: [StreamChannel], _ symbols: [String]) -> StreamSubscriptions {
        var out = self
        for channel in channels {
            switch channel {
            case .alerts: out.alerts = true
            case .monitoring: out.monitoring = true
            default: out.symbols[channel, default: []].formUnion(symbols)
            }
        }
        return out
    }

    /// These subscriptions with `channels` × `symbols` removed (`alerts` and `monitoring` regardless of symbols).
    func removing(_ channels: [StreamChannel], _ symbols: [String]) -> StreamSubscriptions {
        var out = self
        for channel in channels {
            switch channel {
            case .alerts: out.alerts = false
            case .monitoring: out.monitoring = false
            default:
                out.symbols[channel]?.subtract(symbols)
                if out.symbols[channel]?.isEmpty == true { out.symbols[channel] = nil }
            }
        }
        return out
    }

    /// The (channel, symbol) pairs in `self` but not in `other`.
    func pairs(notIn other: StreamSubscriptions) -> [(StreamChannel, String)] {
        var out: [(StreamChannel, String)] = []
        for (channel, symbols) in self.symbols.sorted(by: { $0.key < $1.key }) {
            for symbol in symbols.sorted() where other.symbols[channel]?.contains(symbol) != true {
                out.append((channel, symbol))
            }
        }
        return out
    }

    /// `{"price":["BTC"],"bars.1m":["ETH"],"alerts":true}`, channels and symbols sorted.
    func write(to json: inout JSONOutput) {
        json.beginObject()
        for (channel, symbols) in self.symbols.sorted(by: { $0.key < $1.key }) {
            json.key(dynamic: channel.name)
            json.beginArray()
            for symbol in symbols.sorted() { json.value(symbol) }
            json.endArray()
        }
        if self.alerts {
            json.key("alerts")
            json.value(true)
        }
        if self.monitoring {
            json.key("monitoring")
            json.value(true)
        }
        json.endObject()
    }

    /// The subscriptions as the admin listing shows them: channel name → symbols (`alerts`/`monitoring` → []).
    var listing: [String: [String]] {
        var out: [String: [String]] = [:]
        for (channel, symbols) in self.symbols { out[channel.name] = symbols.sorted() }
        if self.alerts { out["alerts"] = [] }
        if self.monitoring { out["monitoring"] = [] }
        return out
    }
}
