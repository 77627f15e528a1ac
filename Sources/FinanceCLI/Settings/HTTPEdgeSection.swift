import FinanceServer

/// `http.*` (the edge): timeouts, the connection cap and the heavy-read queue. Declared beside `HTTPSection` under the
/// same section name; the catalog matches a key in whichever declares it.
enum HTTPEdgeSection {
    static let headerTimeoutSeconds = SettingKey(
        "headerTimeoutSeconds", .int(1...3_600), default: String(HTTPEdgeSettings().headerTimeoutSeconds),
        doc: "seconds a request head may take to arrive (from the accept, or its first byte); then 408 and close")
    static let idleTimeoutSeconds = SettingKey(
        "idleTimeoutSeconds", .int(1...86_400), default: String(HTTPEdgeSettings().idleTimeoutSeconds),
        doc: "seconds a kept-alive connection may sit idle, or a response stall unread, before it is closed")
    static let maxConnections = SettingKey(
        "maxConnections", .int(1...1_000_000), default: String(HTTPEdgeSettings().maxConnections),
        doc: "open connections held, WebSockets included; beyond it requests get 503 and their connection closes")
    static let heavyReadConcurrency = SettingKey(
        "heavyReads.concurrency", .int(1...1_000), default: String(HTTPEdgeSettings().heavyReadConcurrency),
        doc: "heavy reads (bars reads of more than `heavyReads.minBars` bars) run at once; the others wait their turn")
    static let heavyReadMaxWaitSeconds = SettingKey(
        "heavyReads.maxWaitSeconds", .int(1...3_600), default: String(HTTPEdgeSettings().heavyReadMaxWaitSeconds),
        doc: "seconds a heavy read waits for its turn before a 503 with Retry-After")
    static let heavyReadMinBars = SettingKey(
        "heavyReads.minBars", .int(1...100_000), default: String(HTTPEdgeSettings().heavyReadMinBars),
        doc: "a bars read is heavy when its limit and range allow more bars than this (heavy reads are also streamed)")
    static let section = SettingsSection(
        "http",
        keys: [
            headerTimeoutSeconds, idleTimeoutSeconds, maxConnections, heavyReadConcurrency, heavyReadMaxWaitSeconds,
            heavyReadMinBars,
        ])

    /// Reads the section into `settings`.
    static func read(_ r: SectionReader, into settings: inout HTTPEdgeSettings) {
        if let n = r.int(Self.headerTimeoutSeconds) { settings.headerTimeoutSeconds = n }
        if let n = r.int(Self.idleTimeoutSeconds) { settings.idleTimeoutSeconds = n }
        if let n = r.int(Self.maxConnections) { settings.maxConnections = n }
        if let n = r.int(Self.heavyReadConcurrency) { settings.heavyReadConcurrency = n }
        if let n = r.int(Self.heavyReadMaxWaitSeconds) { settings.heavyReadMaxWaitSeconds = n }
        if let n = r.int(Self.heavyReadMinBars) { settings.heavyReadMinBars = n }
    }
}
