import FinanceApp
import FinanceServer

/// `ws.connectAttempts.*`, `ws.ban.*`, `auth.loginAttemptsPerMinute` and `http.trustedProxies`: the limits of
/// `AbuseGuard` and the proxies `ClientAddress` believes. Declared as sections of their own under the `ws`, `auth`
/// and `http` prefixes (a key's name is all that users see).
enum AbuseSection {
    private static let defaults = AbuseGuardSettings()

    static let perIpPerMinute = SettingKey(
        "perIpPerMinute", .int(1...1_000_000), default: String(defaults.connectAttemptsPerIpPerMinute),
        doc: "WebSocket connection attempts allowed per client address per minute")
    static let perUserPerMinute = SettingKey(
        "perUserPerMinute", .int(1...1_000_000), default: String(defaults.connectAttemptsPerUserPerMinute),
        doc: "WebSocket connection attempts allowed per user per minute")
    static let connectAttempts = SettingsSection("ws.connectAttempts", keys: [perIpPerMinute, perUserPerMinute])

    static let threshold = SettingKey(
        "threshold", .int(1...100_000), default: String(defaults.banThreshold),
        doc: "violations within a minute that ban their key")
    static let baseSeconds = SettingKey(
        "baseSeconds", .int(1...86_400), default: String(defaults.banBaseSeconds),
        doc: "length of a first ban, doubled on each repeat")
    static let ban = SettingsSection("ws.ban", keys: [threshold, baseSeconds])

    static let loginAttemptsPerMinute = SettingKey(
        "loginAttemptsPerMinute", .int(1...10_000), default: String(defaults.loginAttemptsPerMinute),
        doc: "failed sign-ins per user and per client address per minute before 429")
    static let login = SettingsSection("auth", keys: [loginAttemptsPerMinute])

    static let trustedProxies = SettingKey(
        "trustedProxies", .list, default: "empty",
        doc: "addresses and CIDR blocks whose X-Forwarded-For is believed")
    static let proxies = SettingsSection("http", keys: [trustedProxies])

    static let sections = [connectAttempts, ban, login, proxies]

    /// Reads the sections into `settings`.
    static func read(_ reader: SettingsReader, into settings: inout AbuseGuardSettings) {
        let attempts = reader.section(Self.connectAttempts)
        if let n = attempts.int(Self.perIpPerMinute) { settings.connectAttemptsPerIpPerMinute = n }
        if let n = attempts.int(Self.perUserPerMinute) { settings.connectAttemptsPerUserPerMinute = n }
        let ban = reader.section(Self.ban)
        if let n = ban.int(Self.threshold) { settings.banThreshold = n }
        if let n = ban.int(Self.baseSeconds) { settings.banBaseSeconds = n }
        if let n = reader.section(Self.login).int(Self.loginAttemptsPerMinute) { settings.loginAttemptsPerMinute = n }
        let proxies = reader.section(Self.proxies)
        if let entries = proxies.list(Self.trustedProxies) {
            do throws(TrustedProxies.InvalidEntry) {
                settings.trustedProxies = try TrustedProxies(parsing: entries)
            } catch {
                // The entry is an address, not a secret; cut so a pasted file cannot flood the message.
                proxies.fail(
                    Self.trustedProxies,
                    "'\(String(error.entry.prefix(64)))' is not an IP address or CIDR block (10.0.0.0/8, ::1)")
            }
        }
    }
}

/// `audit.*`: the audit log.
enum AuditSection {
    private static let defaults = AuditLogSettings()

    static let retentionDays = SettingKey(
        "retentionDays", .int(0...36_500), default: String(defaults.retentionDays),
        doc: "days audit events are kept (0: forever)")
    static let bufferSize = SettingKey(
        "bufferSize", .int(100...10_000_000), default: String(defaults.bufferSize),
        doc: "audit events held in memory waiting to be written; beyond it new ones are dropped and counted")
    static let section = SettingsSection("audit", keys: [retentionDays, bufferSize])

    /// Reads the section into `settings`.
    static func read(_ r: SectionReader, into settings: inout AuditLogSettings) {
        if let n = r.int(Self.retentionDays) { settings.retentionDays = n }
        if let n = r.int(Self.bufferSize) { settings.bufferSize = n }
    }
}
