/// An API key as stored: its public id and the SHA-256 of the whole key, never the key. A service key (no owner)
/// acts as a program that ingests data; a personal key acts with its owner's role and tier.
public struct APIKeyRecord: Hashable, Sendable {
    /// The key's public part (12 lower-case hex digits), also the key's name in listings and revocation.
    public var id: String
    /// SHA-256 of the whole key, lower-case hex.
    public var hash: String
    /// A label chosen at creation.
    public var name: String
    /// The user a personal key belongs to; nil for a service key.
    public var owner: String?
    /// Creation time, ms since the epoch.
    public var createdAt: Int64
    public var revoked: Bool

    public init(id: String, hash: String, name: String, owner: String?, createdAt: Int64, revoked: Bool = false) {
        self.id = id
        self.hash = hash
        self.name = name
        self.owner = owner
        self.createdAt = createdAt
        self.revoked = revoked
    }

    /// The label rule: 1–64 printable ASCII characters (spaces included).
    public static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.count) && name.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) }
    }
}

/// A revoked access token (`jti`) or sign-in (`family`: every access token issued from one login and its
/// rotations), kept until the tokens it covers have expired. Every instance polls them.
public struct TokenRevocation: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case token, family
    }

    public var kind: Kind
    public var value: String
    /// When it was revoked, ms since the epoch.
    public var revokedAt: Int64
    /// When the tokens it covers have all expired; the record can go then.
    public var expiresAt: Int64

    public init(kind: Kind, value: String, revokedAt: Int64, expiresAt: Int64) {
        self.kind = kind
        self.value = value
        self.revokedAt = revokedAt
        self.expiresAt = expiresAt
    }
}
