import FinanceCore
import FinanceServer

/// `ws.tiers.<tier>.*`: the WebSocket limits of one tier (free, pro, enterprise).
enum WebSocketTierSection {
    static let maxConnections = SettingKey(
        "maxConnections", .int(1...1_000_000), default: "per tier",
        doc: "open WebSockets of one user over both endpoints")
    static let maxSymbols = SettingKey(
        "maxSymbols", .int(1...1_000_000), default: "per tier", doc: "distinct symbols subscribed on one connection")
    static let subscriptionsPerMinute = SettingKey(
        "subscriptionsPerMinute", .int(1...1_000_000), default: "per tier",
        doc: "subscribe and unsubscribe messages on one connection per minute")
    static let messagesPerSecond = SettingKey(
        "messagesPerSecond", .int(1...1_000_000), default: "per tier",
        doc: "client messages on one connection per second")
    static let section = SettingsSection(
        "ws.tiers.<tier>", names: .fixed(UserTier.allCases.map(\.rawValue)),
        keys: [maxConnections, maxSymbols, subscriptionsPerMinute, messagesPerSecond])

    /// Reads every configured tier into `settings`.
    static func read(_ reader: SettingsReader, into settings: inout StreamSessionSettings) {
        for name in reader.instances(of: Self.section) {
            guard let tier = UserTier(rawValue: name) else { continue }
            let r = reader.section(Self.section, instance: name)
            var limits = settings.limits(tier)
            if let n = r.int(Self.maxConnections) { limits.maxConnections = n }
            if let n = r.int(Self.maxSymbols) { limits.maxSymbols = n }
            if let n = r.int(Self.subscriptionsPerMinute) { limits.subscriptionsPerMinute = n }
            if let n = r.int(Self.messagesPerSecond) { limits.messagesPerSecond = n }
            settings.tiers[tier] = limits
        }
    }
}
