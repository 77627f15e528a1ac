/// What happened, as the audit log names it (`GET /api/admin/audit?type=`).
public enum AuditEventType: String, Hashable, Sendable, Codable, CaseIterable {
    case login
    case loginFailed = "login_failed"
    case tokenRefresh = "token_refresh"
    case tokenRevoked = "token_revoked"
    case logout
    case connect
    case authFailed = "auth_failed"
    case limitHit = "limit_hit"
    case ban
    case forcedDisconnect = "forced_disconnect"
    case apikeyCreated = "apikey_created"
    case apikeyRevoked = "apikey_revoked"
    case userDisabled = "user_disabled"
}

/// One entry of the audit log: who did what, when and from where. `detail` is a short description for people; it
/// must never carry a secret (no token, key or password). As a safety net, words that look like one (a JWT, or 32 or
/// more characters of base64url such as a refresh token or an API key) are replaced by `[redacted]`, and the text is
/// cut to `maxDetailCharacters`.
public struct AuditEvent: Hashable, Sendable {
    /// Unique per event (assigned when recorded), so that a batch written twice stores each event once.
    public var id: String
    /// When it happened, ms since the epoch.
    public var ts: Int64
    public var type: AuditEventType
    /// The user concerned (signed in, or the name tried), nil when unknown (never empty).
    public var user: String?
    /// The client's address (`ClientAddress`), nil when not from a client (never empty).
    public var ip: String?
    public var detail: String

    /// The longest `detail` kept, in characters.
    public static let maxDetailCharacters = 200
    /// The longest `user` kept, in characters (longer names are cut: a failed sign-in may try any text).
    public static let maxUserCharacters = 64
    /// The longest `ip` kept, in characters (an IPv6 address with a zone fits).
    public static let maxIpCharacters = 64

    public init(
        id: String, ts: Int64, type: AuditEventType, user: String? = nil, ip: String? = nil, detail: String = ""
    ) {
        self.id = id
        self.ts = ts
        self.type = type
        // An empty name or address is none (every store reads it back as absent).
        self.user = user.flatMap { $0.isEmpty ? nil : Echo.text($0, limit: Self.maxUserCharacters) }
        self.ip = ip.flatMap { $0.isEmpty ? nil : Echo.text($0, limit: Self.maxIpCharacters) }
        self.detail = Echo.text(Self.redactingSecrets(detail), limit: Self.maxDetailCharacters)
    }

    /// `text` with every word that looks like a token or key replaced by `[redacted]`.
    public static func redactingSecrets(_ text: String) -> String {
        guard text.utf8.count >= 3 else { return text }
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        guard words.contains(where: Self.looksSecret) else { return text }
        return words.map { Self.looksSecret($0) ? "[redacted]" : String($0) }.joined(separator: " ")
    }

    private static func looksSecret(_ word: Substring) -> Bool {
        let trimmed = word.trimmingPunctuation
        if trimmed.hasPrefix("eyJ") && trimmed.utf8.count >= 16 { return true }
        return trimmed.utf8.count >= 32
            && trimmed.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D
                    || c == 0x5F || c == 0x2B || c == 0x2F || c == 0x3D
            }
    }
}

extension Substring {
    /// Without the quotes, brackets and sentence punctuation around a word.
    fileprivate var trimmingPunctuation: Substring {
        func isAround(_ c: Character) -> Bool { "\"'()[],;:.".contains(c) }
        var word = self
        while let first = word.first, isAround(first) { word = word.dropFirst() }
        while let last = word.last, isAround(last) { word = word.dropLast() }
        return word
    }
}
