import FinanceCore
import FinanceStorage

/// What became of a caller verified earlier (a WebSocket's, checked again every few seconds).
public enum AccessRecheck: Sendable, Equatable {
    case valid
    /// Its token, sign-in or API key was revoked.
    case revoked
    /// Its user was disabled or removed.
    case userDisabled
}

extension AuthService {
    /// Checks again a caller verified earlier: its token or sign-in revoked (here or on another instance, as
    /// polled), its API key revoked, its user disabled or removed. Cheap: it reads the caches, which go to the
    /// database at most every 2 s per user or key.
    public func recheck(_ principal: Principal) async -> AccessRecheck {
        let now = self.clock.nowMilliseconds()
        if principal.tokenId.hasPrefix("key:") {
            let id = String(principal.tokenId.dropFirst(4))
            let record: APIKeyRecord?
            if let cached = self.cache.key(id, now: now) {
                record = cached
            } else {
                guard let read = try? await self.users.apiKey(id: id) else { return .valid }  // the database is down
                record = read
                self.cache.remember(key: id, record, now: now)
            }
            guard let record, !record.revoked else { return .revoked }
            if principal.isService { return .valid }
        } else if self.cache.isRevoked(principal) {
            return .revoked
        }
        let user: User?
        // A database that cannot answer closes nothing.
        do { user = try await self.currentUser(principal.user, now: now) } catch { return .valid }
        guard let user, !user.disabled else { return .userDisabled }
        return .valid
    }
}
