import FinanceCore
import Synchronization

/// What `AuthService` remembers between requests, so that a request costs a dictionary lookup instead of an HMAC and
/// a database read: tokens already verified, users' status and API keys (both re-read after `ttlMilliseconds`, so a
/// disabled user or revoked key is refused within that time on every instance), and the revoked tokens and sign-ins
/// (polled from the database by `AuthUpkeepService`). Every map is bounded.
final class AccessCache: Sendable {
    struct Entry<Value> {
        var value: Value
        var fetchedAt: Int64
    }

    struct State {
        /// Verified access tokens by their text.
        var tokens: [String: Principal] = [:]
        var users: [String: Entry<User?>] = [:]
        var keys: [String: Entry<APIKeyRecord?>] = [:]
        /// Revoked `jti`s and sign-ins, with when they can be forgotten.
        var revokedTokens: [String: Int64] = [:]
        var revokedFamilies: [String: Int64] = [:]
        /// Revocations recorded before this time (ms, the database's) have been read.
        var revocationsReadUpTo: Int64 = 0
    }

    /// How long a user's status or an API key is trusted before it is read again.
    static let ttlMilliseconds: Int64 = 2_000
    /// The most entries of each map; a full map is emptied (entries are cheap to rebuild).
    static let maxEntries = 50_000

    let state = Mutex(State())

    func token(_ text: String) -> Principal? { self.state.withLock { $0.tokens[text] } }

    func remember(token text: String, _ principal: Principal) {
        self.state.withLock { s in
            if s.tokens.count >= Self.maxEntries { s.tokens.removeAll(keepingCapacity: true) }
            s.tokens[text] = principal
        }
    }

    func user(_ name: String, now: Int64) -> User?? {
        self.state.withLock { s in
            guard let entry = s.users[name], now - entry.fetchedAt < Self.ttlMilliseconds else { return nil }
            return .some(entry.value)
        }
    }

    func remember(user name: String, _ user: User?, now: Int64) {
        self.state.withLock { s in
            if s.users.count >= Self.maxEntries { s.users.removeAll(keepingCapacity: true) }
            s.users[name] = Entry(value: user, fetchedAt: now)
        }
    }

    func key(_ id: String, now: Int64) -> APIKeyRecord?? {
        self.state.withLock { s in
            guard let entry = s.keys[id], now - entry.fetchedAt < Self.ttlMilliseconds else { return nil }
            return .some(entry.value)
        }
    }

    func remember(key id: String, _ key: APIKeyRecord?, now: Int64) {
        self.state.withLock { s in
            if s.keys.count >= Self.maxEntries { s.keys.removeAll(keepingCapacity: true) }
            s.keys[id] = Entry(value: key, fetchedAt: now)
        }
    }

    func forget(key id: String) { self.state.withLock { $0.keys[id] = nil } }

    func isRevoked(_ principal: Principal) -> Bool {
        self.state.withLock { s in
            s.revokedTokens[principal.tokenId] != nil || principal.family.map { s.revokedFamilies[$0] != nil } ?? false
        }
    }

    func add(_ revocations: [TokenRevocation], now: Int64) {
        self.state.withLock { s in
            for r in revocations {
                switch r.kind {
                case .token: s.revokedTokens[r.value] = r.expiresAt
                case .family: s.revokedFamilies[r.value] = r.expiresAt
                }
            }
            s.revokedTokens = s.revokedTokens.filter { $0.value > now }
            s.revokedFamilies = s.revokedFamilies.filter { $0.value > now }
        }
    }
}
