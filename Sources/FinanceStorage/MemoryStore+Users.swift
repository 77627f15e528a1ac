import FinanceCore
import Synchronization

/// Users, refresh tokens and secrets of the in-memory store: the reference semantics of `UserRepository`.
final class MemoryUserState: Sendable {
    struct State {
        var users: [String: User] = [:]
        var tokens: [String: RefreshTokenRecord] = [:]
        var secrets: [String: String] = [:]
        var apiKeys: [String: APIKeyRecord] = [:]
        /// By `kind:value`.
        var revocations: [String: TokenRevocation] = [:]
    }

    let state = Mutex(State())
}

extension MemoryStore {
    public func createUser(_ user: User) async throws {
        try self.userState.state.withLock { s in
            guard s.users[user.name] == nil else { throw StorageError.conflict("user \(user.name)") }
            s.users[user.name] = user
        }
    }

    public func user(named name: String) async throws -> User {
        guard let user = self.userState.state.withLock({ $0.users[name] }) else {
            throw StorageError.notFound("user \(name)")
        }
        return user
    }

    public func users() async throws -> [User] {
        self.userState.state.withLock { $0.users.values.sorted { $0.name < $1.name } }
    }

    public func updateUser(_ user: User) async throws {
        try self.userState.state.withLock { s in
            guard s.users[user.name] != nil else { throw StorageError.notFound("user \(user.name)") }
            s.users[user.name] = user
        }
    }

    public func userCount() async throws -> Int { self.userState.state.withLock { $0.users.count } }

    public func storeRefreshToken(_ token: RefreshTokenRecord) async throws {
        self.userState.state.withLock { $0.tokens[token.hash] = token }
    }

    public func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        self.userState.state.withLock { $0.tokens[hash] }
    }

    public func rotateRefreshToken(oldHash: String, next: RefreshTokenRecord) async throws -> Bool {
        self.userState.state.withLock { s in
            guard var old = s.tokens[oldHash], !old.revoked, old.replacedBy == nil else { return false }
            old.replacedBy = next.hash
            s.tokens[oldHash] = old
            s.tokens[next.hash] = next
            return true
        }
    }

    public func revokeRefreshFamily(_ family: String) async throws {
        self.userState.state.withLock { s in
            for (hash, token) in s.tokens where token.family == family { s.tokens[hash]?.revoked = true }
        }
    }

    public func revokeRefreshTokens(user: String) async throws {
        self.userState.state.withLock { s in
            for (hash, token) in s.tokens where token.user == user { s.tokens[hash]?.revoked = true }
        }
    }

    public func secret(named name: String, orStore value: String) async throws -> String {
        self.userState.state.withLock { s in
            if let held = s.secrets[name] { return held }
            s.secrets[name] = value
            return value
        }
    }
}

extension MemoryStore {
    public func createAPIKey(_ key: APIKeyRecord) async throws {
        try self.userState.state.withLock { s in
            guard s.apiKeys[key.id] == nil else { throw StorageError.conflict("api key \(key.id)") }
            s.apiKeys[key.id] = key
        }
    }

    public func apiKey(id: String) async throws -> APIKeyRecord? { self.userState.state.withLock { $0.apiKeys[id] } }

    public func apiKeys(owner: String?) async throws -> [APIKeyRecord] {
        self.userState.state.withLock { s in
            s.apiKeys.values.filter { owner == nil || $0.owner == owner }
                .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        }
    }

    public func revokeAPIKey(id: String) async throws -> Bool {
        self.userState.state.withLock { s in
            guard s.apiKeys[id] != nil else { return false }
            s.apiKeys[id]!.revoked = true
            return true
        }
    }

    public func addRevocation(_ revocation: TokenRevocation) async throws {
        self.userState.state.withLock { s in
            let key = "\(revocation.kind.rawValue):\(revocation.value)"
            if s.revocations[key] == nil { s.revocations[key] = revocation }
        }
    }

    public func revocations(since: Int64, now: Int64) async throws -> [TokenRevocation] {
        self.userState.state.withLock { s in
            s.revocations.values.filter { $0.revokedAt >= since && $0.expiresAt > now }
                .sorted { ($0.revokedAt, $0.value) < ($1.revokedAt, $1.value) }
        }
    }

    public func pruneRevocations(now: Int64) async throws {
        self.userState.state.withLock { s in s.revocations = s.revocations.filter { $0.value.expiresAt >= now } }
    }
}
