import Crypto
import FinanceCore
import FinanceStorage
import Foundation

/// API keys: `fhk_<id>_<secret>`, shown once at creation and stored as a SHA-256 hash. A service key (no owner) may
/// ingest and write assets and is not rate limited; a personal key acts with its owner's role and tier, and stops
/// working when its owner is disabled.
extension AuthService {
    /// The prefix of every key, so leaked keys are easy to recognise (and to scan for).
    public static let apiKeyPrefix = "fhk_"

    /// Creates a key named `name` for `owner` (nil: a service key); returns it with its one-time plain text.
    public func createAPIKey(name: String, owner: String?) async throws -> (record: APIKeyRecord, key: String) {
        let id = (0..<6).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let key = "\(Self.apiKeyPrefix)\(id)_\(Self.randomToken(bytes: 32))"
        let record = APIKeyRecord(
            id: id, hash: Self.hash(key), name: name, owner: owner, createdAt: self.clock.nowMilliseconds())
        try await self.users.createAPIKey(record)
        return (record, key)
    }

    /// Revokes a key; false when there is no such key (or, with `owner`, none of theirs).
    public func revokeAPIKey(id: String, owner: String? = nil) async throws -> Bool {
        if let owner {
            guard let key = try await self.users.apiKey(id: id), key.owner == owner else { return false }
        }
        let revoked = try await self.users.revokeAPIKey(id: id)
        self.cache.forget(key: id)
        return revoked
    }

    /// Checks an API key: known, not revoked, and (for a personal key) its owner enabled.
    public func verify(apiKey key: String) async throws -> Principal {
        guard let id = Self.apiKeyId(key) else { throw AuthError.invalidToken("malformed API key") }
        let now = self.clock.nowMilliseconds()
        let record: APIKeyRecord?
        if let cached = self.cache.key(id, now: now) {
            record = cached
        } else {
            record = try await self.users.apiKey(id: id)
            self.cache.remember(key: id, record, now: now)
        }
        guard let record, Self.constantTimeEqual(record.hash, Self.hash(key)) else {
            throw AuthError.invalidToken("unknown API key")
        }
        guard !record.revoked else { throw AuthError.invalidToken("revoked API key") }
        guard let owner = record.owner else {
            return Principal(
                user: "service:\(record.id)", role: .user, tier: .enterprise, expiresAt: .max,
                tokenId: "key:\(record.id)", isService: true)
        }
        guard let user = try await self.currentUser(owner, now: now), !user.disabled else {
            throw AuthError.invalidToken("the key's owner is disabled or removed")
        }
        return Principal(
            user: user.name, role: user.role, tier: user.tier, expiresAt: .max, tokenId: "key:\(record.id)")
    }

    /// The id of a well-formed key, else nil.
    static func apiKeyId(_ key: String) -> String? {
        guard key.hasPrefix(Self.apiKeyPrefix), key.utf8.count < 200 else { return nil }
        let rest = key.dropFirst(Self.apiKeyPrefix.count)
        guard let underscore = rest.firstIndex(of: "_") else { return nil }
        let id = rest[..<underscore]
        guard id.count == 12, id.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        return String(id)
    }

    /// Compares two hashes in time independent of where they differ.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
