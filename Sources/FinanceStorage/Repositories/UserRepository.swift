import FinanceCore

/// Users, their refresh tokens and the server's own secrets (the generated JWT key), shared by every instance on one
/// database.
public protocol UserRepository: Sendable {
    /// Creates a user; throws `StorageError.conflict` if the name exists.
    func createUser(_ user: User) async throws
    /// One user; throws `StorageError.notFound`.
    func user(named name: String) async throws -> User
    /// Every user, ordered by name.
    func users() async throws -> [User]
    /// Replaces a user's fields; throws `StorageError.notFound`.
    func updateUser(_ user: User) async throws
    /// The number of users.
    func userCount() async throws -> Int

    /// Stores a new refresh token (by its hash).
    func storeRefreshToken(_ token: RefreshTokenRecord) async throws
    /// A refresh token by its hash, nil when unknown.
    func refreshToken(hash: String) async throws -> RefreshTokenRecord?
    /// Replaces the refresh token `oldHash` with `next` atomically: true when `oldHash` was live (not revoked, not
    /// replaced yet); false (and nothing stored) when it was already used, which means it was stolen.
    func rotateRefreshToken(oldHash: String, next: RefreshTokenRecord) async throws -> Bool
    /// Revokes every refresh token of a family (a login and all its rotations).
    func revokeRefreshFamily(_ family: String) async throws
    /// Revokes every refresh token of a user.
    func revokeRefreshTokens(user: String) async throws

    /// The secret named `name`, storing `value` first when there is none (the first caller's value wins).
    func secret(named name: String, orStore value: String) async throws -> String

    /// Stores a new API key (by its hash); throws `StorageError.conflict` if the id exists.
    func createAPIKey(_ key: APIKeyRecord) async throws
    /// An API key by id, nil when unknown.
    func apiKey(id: String) async throws -> APIKeyRecord?
    /// The API keys of `owner` (nil: every key, service keys included), oldest first.
    func apiKeys(owner: String?) async throws -> [APIKeyRecord]
    /// Revokes an API key; false when no such key exists.
    func revokeAPIKey(id: String) async throws -> Bool

    /// Records a revocation (a second one of the same token or family keeps the first).
    func addRevocation(_ revocation: TokenRevocation) async throws
    /// The revocations recorded at or after `since` (ms) that have not expired at `now`.
    func revocations(since: Int64, now: Int64) async throws -> [TokenRevocation]
    /// Forgets revocations that expired before `now`.
    func pruneRevocations(now: Int64) async throws
}

/// A refresh token as stored: only its hash, never the token.
public struct RefreshTokenRecord: Hashable, Sendable {
    public var hash: String
    /// The login it descends from: every rotation keeps it.
    public var family: String
    public var user: String
    public var issuedAt: Int64
    public var expiresAt: Int64
    public var revoked: Bool
    /// The hash of the token that replaced it, once rotated.
    public var replacedBy: String?

    public init(
        hash: String, family: String, user: String, issuedAt: Int64, expiresAt: Int64, revoked: Bool = false,
        replacedBy: String? = nil
    ) {
        self.hash = hash
        self.family = family
        self.user = user
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.revoked = revoked
        self.replacedBy = replacedBy
    }
}
