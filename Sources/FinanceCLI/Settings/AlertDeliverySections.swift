import FinanceApp

/// `alerts.*` keys of alert delivery: webhook timeouts and attempts, the SSRF guard's exceptions, the throttles.
enum AlertDeliverySection {
    static let webhookTimeoutSeconds = SettingKey(
        "webhook.timeoutSeconds", .int(1...120), default: String(AlertDeliverySettings().webhookTimeoutSeconds),
        doc: "seconds one webhook or push request may take")
    static let webhookMaxAttempts = SettingKey(
        "webhook.maxAttempts", .int(1...30), default: String(AlertDeliverySettings().maxAttempts),
        doc: "attempts of one delivery before it is given up (backoff 1 s doubling)")
    static let allowPrivateWebhooks = SettingKey(
        "allowPrivateWebhooks", .bool, default: "false",
        doc: "whether webhooks may reach loopback, private and link-local addresses")
    static let allowPrivatePush = SettingKey(
        "allowPrivatePush", .bool, default: "false",
        doc: "whether push servers may be on loopback, private and link-local addresses")
    static let perUserPerMinute = SettingKey(
        "throttle.perUserPerMinute", .int(1...1_000_000), default: String(AlertDeliverySettings().perUserPerMinute),
        doc: "notifications one user gets per minute before the rest becomes a digest")
    static let perAlertPerMinute = SettingKey(
        "throttle.perAlertPerMinute", .int(1...1_000_000),
        default: String(AlertDeliverySettings().perAlertPerMinute),
        doc: "notifications one alert sends per minute before the rest becomes a digest")
    static let testsPerMinute = SettingKey(
        "throttle.testsPerMinute", .int(1...1_000), default: String(AlertDeliverySettings().testsPerMinute),
        doc: "test sends (POST /api/alerts/test) one user may make per minute")
    static let section = SettingsSection(
        "alerts",
        keys: [
            webhookTimeoutSeconds, webhookMaxAttempts, allowPrivateWebhooks, allowPrivatePush, perUserPerMinute,
            perAlertPerMinute, testsPerMinute,
        ])

    /// Reads the section into `settings`.
    static func read(_ r: SectionReader, into settings: inout AlertDeliverySettings) {
        if let n = r.int(Self.webhookTimeoutSeconds) { settings.webhookTimeoutSeconds = n }
        if let n = r.int(Self.webhookMaxAttempts) { settings.maxAttempts = n }
        if let flag = r.bool(Self.allowPrivateWebhooks) { settings.allowPrivateWebhooks = flag }
        if let flag = r.bool(Self.allowPrivatePush) { settings.allowPrivatePush = flag }
        if let n = r.int(Self.perUserPerMinute) { settings.perUserPerMinute = n }
        if let n = r.int(Self.perAlertPerMinute) { settings.perAlertPerMinute = n }
        if let n = r.int(Self.testsPerMinute) { settings.testsPerMinute = n }
    }
}

/// `smtp.*`: the mail server alert emails and address confirmations go through.
enum SMTPSection {
    static let host = SettingKey("host", .string, doc: "the SMTP server; unset, email channels cannot be delivered")
    static let port = SettingKey("port", .int(1...65535), default: String(SMTPSettings().port), doc: "its port")
    static let tls = SettingKey(
        "tls", .oneOf(SMTPTLSMode.allCases.map(\.rawValue)), default: SMTPSettings().tls.rawValue,
        doc: "`starttls`, `implicit` (TLS from the first byte, port 465) or `none`")
    static let username = SettingKey(
        "username", .string, doc: "when set, the client authenticates (AUTH PLAIN or LOGIN)")
    static let password = SettingKey("password", .string, secret: true, doc: "the password of `smtp.username`")
    static let from = SettingKey(
        "from", .string, default: SMTPSettings().from, doc: "the sender address (envelope and `From:`)")
    static let timeoutSeconds = SettingKey(
        "timeoutSeconds", .int(1...600), default: String(SMTPSettings().timeoutSeconds),
        doc: "seconds the conversation of one message may take")
    static let section = SettingsSection(
        "smtp", keys: [host, port, tls, username, password, from, timeoutSeconds])

    /// Reads the section into `settings`.
    static func read(_ r: SectionReader, into settings: inout SMTPSettings) {
        if let host = r.string(Self.host), !host.isEmpty { settings.host = host }
        if let port = r.int(Self.port) { settings.port = port }
        if let tls = r.choice(Self.tls).flatMap(SMTPTLSMode.init(rawValue:)) { settings.tls = tls }
        if let username = r.string(Self.username), !username.isEmpty { settings.username = username }
        if let password = r.string(Self.password), !password.isEmpty { settings.password = password }
        if let from = r.string(Self.from) {
            if MailAddress.isValid(from) {
                settings.from = from
            } else {
                r.fail(Self.from, "expected a plain address such as alerts@example.com")
            }
        }
        if let n = r.int(Self.timeoutSeconds) { settings.timeoutSeconds = n }
    }
}
