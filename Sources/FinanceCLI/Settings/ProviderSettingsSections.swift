import FinanceApp
import FinanceCore
import FinanceServer

/// `providers.*`: what all providers share.
enum ProvidersSection {
    static let preference = SettingKey(
        "preference", .list, default: ProviderSettings.names.joined(separator: ","),
        doc: "provider names, highest first, ordering providers of equal health")
    static let watchlist = SettingKey(
        "watchlist", .list, default: "empty", doc: "symbols polled or streamed from providers")
    static let quoteSeconds = SettingKey(
        "cache.quoteSeconds", .int(0...86_400), default: "15", doc: "how long a fetched quote is reused")
    static let barsSeconds = SettingKey(
        "cache.barsSeconds", .int(0...604_800), default: "3600", doc: "how long fetched bars are reused")
    static let newsSeconds = SettingKey(
        "cache.newsSeconds", .int(0...86_400), default: "300", doc: "how long fetched news is reused")
    static let pollMinSeconds = SettingKey(
        "poll.minSeconds", .int(1...86_400), default: "15", doc: "shortest polling interval")
    static let backfillOnDemand = SettingKey(
        "backfillOnDemand", .bool, default: "true",
        doc: "whether `GET /api/bars` fetches a range the store does not cover")
    static let perUserPerMinute = SettingKey(
        "onDemand.perUserPerMinute", .int(1...1_000_000), default: "30",
        doc: "upstream fetches one user's requests may cause per minute")
    static let section = SettingsSection(
        "providers",
        keys: [
            preference, watchlist, quoteSeconds, barsSeconds, newsSeconds, pollMinSeconds, backfillOnDemand,
            perUserPerMinute,
        ])

    /// Reads the section into `settings`.
    static func read(_ r: SectionReader, into settings: inout ProviderSettings) {
        if let names = r.list(Self.preference) {
            let unknown = names.indices.filter { !ProviderSettings.names.contains(names[$0]) }
            if unknown.isEmpty {
                settings.preference = names
            } else {
                r.fail(
                    Self.preference,
                    "items \(unknown.map { String($0 + 1) }.joined(separator: ", ")) name no provider (known: \(ProviderSettings.names.joined(separator: ",")))"
                )
            }
        }
        if let symbols = r.list(Self.watchlist) {
            let canonical = symbols.map(Symbol.normalize)
            let invalid = canonical.indices.filter { canonical[$0] == nil }
            if invalid.isEmpty {
                settings.watchlist = canonical.compactMap { $0 }
            } else {
                r.fail(
                    Self.watchlist, "items \(invalid.map { String($0 + 1) }.joined(separator: ", ")) are not symbols")
            }
        }
        if let s = r.int(Self.quoteSeconds) { settings.quoteCacheSeconds = s }
        if let s = r.int(Self.barsSeconds) { settings.barsCacheSeconds = s }
        if let s = r.int(Self.newsSeconds) { settings.newsCacheSeconds = s }
        if let s = r.int(Self.pollMinSeconds) { settings.pollMinSeconds = s }
        if let on = r.bool(Self.backfillOnDemand) { settings.backfillOnDemand = on }
        if let n = r.int(Self.perUserPerMinute) { settings.onDemandPerUserPerMinute = n }
    }
}

/// `providers.<name>.*`: one provider (`alphavantage`, `coingecko`, `coinmarketcap`, `polygon`, `finnhub`,
/// `newsapi`, `binance`, `coinbase`).
enum ProviderSection {
    static let baseUrl = SettingKey(
        "baseUrl", .string, default: "per provider", doc: "root of the provider's REST API (docs/providers.md)")
    static let wsUrl = SettingKey(
        "wsUrl", .string, default: "per provider", doc: "WebSocket endpoint of a live source")
    static let keys = SettingKey("keys", .list, secret: true, doc: "API keys, comma-separated")
    static let perSecond = SettingKey(
        "budgets.perSecond", .int(0...1_000_000), default: "per provider", doc: "requests per second per key")
    static let perMinute = SettingKey(
        "budgets.perMinute", .int(0...1_000_000), default: "per provider", doc: "requests per minute per key")
    static let perDay = SettingKey(
        "budgets.perDay", .int(0...100_000_000), default: "per provider", doc: "requests per UTC day per key")
    static let perMonth = SettingKey(
        "budgets.perMonth", .int(0...1_000_000_000), default: "per provider",
        doc: "requests per UTC calendar month per key")
    static let timeoutSeconds = SettingKey(
        "timeoutSeconds", .double(0.1...300), default: "5", doc: "time allowed for one upstream request")
    static let enabled = SettingKey("enabled", .bool, default: "true", doc: "whether the provider is used")
    static let section = SettingsSection(
        "providers.<name>", names: .fixed(ProviderSettings.names),
        keys: [baseUrl, wsUrl, keys, perSecond, perMinute, perDay, perMonth, timeoutSeconds, enabled])

    /// Reads every configured provider into `settings`.
    static func read(_ reader: SettingsReader, into settings: inout ProviderSettings) {
        for name in reader.instances(of: Self.section) {
            let r = reader.section(Self.section, instance: name)
            guard var provider = settings.providers[name] else { continue }
            if let url = r.string(Self.baseUrl) {
                Self.check(url, schemes: ["http", "https"], Self.baseUrl, r).map { provider.baseURL = $0 }
            }
            if let url = r.string(Self.wsUrl) {
                Self.check(url, schemes: ["ws", "wss"], Self.wsUrl, r).map { provider.wsURL = $0 }
            }
            if let keys = r.list(Self.keys) { provider.keys = keys }
            if let n = r.int(Self.perSecond) { provider.budget.perSecond = n }
            if let n = r.int(Self.perMinute) { provider.budget.perMinute = n }
            if let n = r.int(Self.perDay) { provider.budget.perDay = n }
            if let n = r.int(Self.perMonth) { provider.budget.perMonth = n }
            if let s = r.double(Self.timeoutSeconds) { provider.timeoutSeconds = s }
            if let on = r.bool(Self.enabled) { provider.enabled = on }
            settings.providers[name] = provider
        }
    }

    /// `url` without a trailing slash when its scheme is one of `schemes` and it names a host; else reported.
    private static func check(_ url: String, schemes: [String], _ key: SettingKey, _ r: SectionReader) -> String? {
        let trimmed = url.hasSuffix("/") ? String(url.dropLast()) : url
        guard let colon = trimmed.firstIndex(of: ":"), schemes.contains(String(trimmed[..<colon]).lowercased()),
            trimmed[colon...].hasPrefix("://"),
            trimmed.count > trimmed.distance(from: trimmed.startIndex, to: colon) + 3
        else {
            r.fail(key, "expected a \(schemes.joined(separator: " or ")) URL")
            return nil
        }
        return trimmed
    }
}

/// `auth.*`: sign-in and tokens.
enum AuthSection {
    static let jwtSecret = SettingKey(
        "jwtSecret", .string, secret: true,
        doc: "HS256 key of access tokens (its UTF-8 bytes, at least 32); unset: generated once and kept in the database"
    )
    static let accessTokenSeconds = SettingKey(
        "accessTokenSeconds", .int(60...86_400), default: "900", doc: "lifetime of an access token")
    static let refreshTokenDays = SettingKey(
        "refreshTokenDays", .int(1...365), default: "30", doc: "lifetime of a refresh token")
    static let leewaySeconds = SettingKey(
        "leewaySeconds", .int(0...300), default: "30", doc: "clock skew allowed when checking exp and nbf")
    static let issuer = SettingKey("issuer", .string, default: "financehub", doc: "the `iss` of access tokens")
    static let audience = SettingKey("audience", .string, default: "financehub", doc: "the `aud` of access tokens")
    static let section = SettingsSection(
        "auth", keys: [jwtSecret, accessTokenSeconds, refreshTokenDays, leewaySeconds, issuer, audience])

    /// Reads the section into `settings`.
    static func read(_ r: SectionReader, into settings: inout AuthSettings) {
        if let secret = r.string(Self.jwtSecret) {
            if secret.utf8.count < AuthSettings.minimumSecretBytes {
                r.fail(Self.jwtSecret, "must be at least \(AuthSettings.minimumSecretBytes) bytes")
            } else {
                settings.jwtSecret = secret
            }
        }
        if let n = r.int(Self.accessTokenSeconds) { settings.accessTokenSeconds = n }
        if let n = r.int(Self.refreshTokenDays) { settings.refreshTokenDays = n }
        if let n = r.int(Self.leewaySeconds) { settings.leewaySeconds = n }
        if let text = r.string(Self.issuer), !text.isEmpty { settings.issuer = text }
        if let text = r.string(Self.audience), !text.isEmpty { settings.audience = text }
    }
}

/// `ws.*`: the WebSocket hub.
enum WebSocketSection {
    static let maxMessageBytes = SettingKey(
        "maxMessageBytes", .int(1_024...16_777_216), default: "65536", doc: "the largest WebSocket message accepted")
    static let conflateAfter = SettingKey(
        "sendQueue.conflateAfter", .int(1...1_000_000), default: "256",
        doc: "queued messages after which a connection's price updates are conflated per symbol")
    static let queueMax = SettingKey(
        "sendQueue.max", .int(1...10_000_000), default: "4096", doc: "queued messages that make a slow client")
    static let maxAgeSeconds = SettingKey(
        "sendQueue.maxAgeSeconds", .int(1...3_600), default: "10",
        doc: "age of the oldest queued message that makes a slow client")
    static let authTimeoutSeconds = SettingKey(
        "authTimeoutSeconds", .int(1...300), default: "5",
        doc: "time a /ws connection without a handshake token has to send its auth message")
    static let section = SettingsSection(
        "ws", keys: [maxMessageBytes, conflateAfter, queueMax, maxAgeSeconds, authTimeoutSeconds])

    /// Reads the section into `settings`.
    static func read(_ r: SectionReader, into settings: inout ServerSettings) {
        if let n = r.int(Self.maxMessageBytes) { settings.wsMaxMessageBytes = n }
        var queue = settings.wsQueue
        let conflate = r.int(Self.conflateAfter) ?? queue.conflateAfter
        let max = r.int(Self.queueMax) ?? queue.max
        if max < conflate { r.fail(Self.queueMax, "must be at least ws.sendQueue.conflateAfter") }
        let age = r.int(Self.maxAgeSeconds).map { Int64($0) * 1_000 } ?? queue.maxAgeMilliseconds
        queue = StreamQueueSettings(conflateAfter: conflate, max: max, maxAgeMilliseconds: age)
        settings.wsQueue = queue
        if let n = r.int(Self.authTimeoutSeconds) { settings.wsSession.authTimeoutMilliseconds = Int64(n) * 1_000 }
    }
}
