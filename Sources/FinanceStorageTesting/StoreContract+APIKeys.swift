import FinanceCore
import FinanceStorage
import XCTest

/// Checks of `UserRepository`'s API keys and token revocations.
extension StoreContract {
    @Sendable static func apiKeysCRUD(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let service = APIKeyRecord(id: "0123456789ab", hash: "h1", name: "ingest bot", owner: nil, createdAt: t0)
        let personal = APIKeyRecord(id: "ba9876543210", hash: "h2", name: "laptop", owner: "alice", createdAt: t0 + 1)
        try await store.createAPIKey(service)
        try await store.createAPIKey(personal)
        await expectError(.conflict("api key 0123456789ab"), "a second key with the same id") {
            try await store.createAPIKey(service)
        }
        let read = try await store.apiKey(id: "ba9876543210")
        XCTAssertEqual(read, personal, "values round-trip, owner included")
        let unknown = try await store.apiKey(id: "ffffffffffff")
        XCTAssertNil(unknown)
        let all = try await store.apiKeys(owner: nil)
        XCTAssertEqual(all, [service, personal], "every key, oldest first")
        let alices = try await store.apiKeys(owner: "alice")
        XCTAssertEqual(alices, [personal])
        let revoked = try await store.revokeAPIKey(id: "0123456789ab")
        XCTAssertTrue(revoked)
        let missing = try await store.revokeAPIKey(id: "ffffffffffff")
        XCTAssertFalse(missing)
        let after = try await store.apiKey(id: "0123456789ab")
        XCTAssertEqual(after?.revoked, true)
    }

    @Sendable static func tokenRevocations(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let jti = TokenRevocation(kind: .token, value: "j1", revokedAt: t0, expiresAt: t0 + 1_000)
        let family = TokenRevocation(kind: .family, value: "f1", revokedAt: t0 + 10, expiresAt: t0 + 5_000)
        try await store.addRevocation(jti)
        try await store.addRevocation(family)
        try await store.addRevocation(TokenRevocation(kind: .token, value: "j1", revokedAt: t0 + 99, expiresAt: 0))
        let all = try await store.revocations(since: 0, now: t0)
        XCTAssertEqual(all, [jti, family], "a second revocation of the same token keeps the first")
        let recent = try await store.revocations(since: t0 + 5, now: t0)
        XCTAssertEqual(recent, [family], "only those recorded since")
        let live = try await store.revocations(since: 0, now: t0 + 1_000)
        XCTAssertEqual(live, [family], "expired ones are left out")
        try await store.pruneRevocations(now: t0 + 2_000)
        try await store.addRevocation(
            TokenRevocation(kind: .token, value: "j1", revokedAt: t0 + 3, expiresAt: t0 + 9_000))
        let pruned = try await store.revocations(since: 0, now: 0)
        XCTAssertEqual(pruned.map(\.value), ["j1", "f1"], "a pruned revocation can be recorded again")
        XCTAssertEqual(pruned.first?.revokedAt, t0 + 3)
    }
}
