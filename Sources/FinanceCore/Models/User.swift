/// What a user may do: `admin` manages users, keys and ingestion; `user` reads and streams.
public enum UserRole: String, Hashable, Sendable, Codable, CaseIterable {
    case admin, user
}

/// A user's plan, which sets their limits (WebSocket connections and symbols, request rates, alert quotas).
public enum UserTier: String, Hashable, Sendable, Codable, CaseIterable {
    case free, pro, enterprise
}

/// A person or program that signs in. The password is kept only as a bcrypt hash.
public struct User: Hashable, Sendable {
    public var name: String
    public var passwordHash: String
    public var role: UserRole
    public var tier: UserTier
    public var disabled: Bool
    /// Creation time, ms since the epoch.
    public var createdAt: Int64

    public init(
        name: String, passwordHash: String, role: UserRole, tier: UserTier, disabled: Bool = false, createdAt: Int64
    ) {
        self.name = name
        self.passwordHash = passwordHash
        self.role = role
        self.tier = tier
        self.disabled = disabled
        self.createdAt = createdAt
    }

    /// The user name rule: 1–64 characters from a–z, 0–9, `.`, `_`, `-`, `@`, starting with a letter or digit.
    public static let nameRule = "1–64 characters from a–z 0–9 . _ - @, starting with a letter or digit"

    /// `name` lower-cased when it follows `nameRule`, else nil.
    public static func normalizeName(_ name: String) -> String? {
        let lower = name.lowercased()
        guard (1...64).contains(lower.count), let first = lower.unicodeScalars.first,
            Self.isAlnum(first),
            lower.unicodeScalars.allSatisfy({ Self.isAlnum($0) || ".-_@".unicodeScalars.contains($0) })
        else { return nil }
        return lower
    }

    private static func isAlnum(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("0"..."9").contains(c) }
}
