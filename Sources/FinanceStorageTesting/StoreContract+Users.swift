import FinanceCore
import FinanceStorage
import XCTest

/// Checks of `UserRepository`: users, refresh-token rotation and families, secrets.
extension StoreContract {
    @Sendable static func usersCRUD(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let zero = try await store.userCount()
        XCTAssertEqual(zero, 0)
        let alice = User(name: "alice", passwordHash: "$2b$04$hash", role: .admin, tier: .pro, createdAt: t0)
        try await store.createUser(alice)
        try await store.createUser(User(name: "bob", passwordHash: "h", role: .user, tier: .free, createdAt: t0 + 1))
        await expectError(.conflict("user alice"), "a second alice") { try await store.createUser(alice) }
        let read = try await store.user(named: "alice")
        XCTAssertEqual(read, alice, "values round-trip")
        await expectError(.notFound("user carol"), "an unknown user") { _ = try await store.user(named: "carol") }
        var disabled = alice
        disabled.disabled = true
        disabled.tier = .enterprise
        try await store.updateUser(disabled)
        let all = try await store.users()
        XCTAssertEqual(all.map(\.name), ["alice", "bob"])
        XCTAssertEqual(all.first, disabled)
        let count = try await store.userCount()
        XCTAssertEqual(count, 2)
        await expectError(.notFound("user carol"), "updating an unknown user") {
            try await store.updateUser(User(name: "carol", passwordHash: "h", role: .user, tier: .free, createdAt: 0))
        }
    }

    @Sendable static func refreshTokenRotation(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let first = RefreshTokenRecord(hash: "h1", family: "f1", user: "alice", issuedAt: t0, expiresAt: t0 + 1_000)
        try await store.storeRefreshToken(first)
        let second = RefreshTokenRecord(
            hash: "h2", family: "f1", user: "alice", issuedAt: t0 + 1, expiresAt: t0 + 2_000)
        let rotated = try await store.rotateRefreshToken(oldHash: "h1", next: second)
        XCTAssertTrue(rotated)
        let reuse = try await store.rotateRefreshToken(
            oldHash: "h1", next: RefreshTokenRecord(hash: "h3", family: "f1", user: "alice", issuedAt: 0, expiresAt: 0))
        XCTAssertFalse(reuse, "a rotated token cannot be rotated again")
        let h3 = try await store.refreshToken(hash: "h3")
        XCTAssertNil(h3, "nothing is stored for a refused rotation")
        let old = try await store.refreshToken(hash: "h1")
        XCTAssertEqual(old?.replacedBy, "h2")
        let other = RefreshTokenRecord(hash: "o1", family: "f2", user: "alice", issuedAt: t0, expiresAt: t0 + 1_000)
        try await store.storeRefreshToken(other)
        try await store.revokeRefreshFamily("f1")
        let revoked = try await store.refreshToken(hash: "h2")
        XCTAssertEqual(revoked?.revoked, true, "the family is revoked")
        let untouched = try await store.refreshToken(hash: "o1")
        XCTAssertEqual(untouched, other, "other families stay")
        let afterRevoke = try await store.rotateRefreshToken(
            oldHash: "h2", next: RefreshTokenRecord(hash: "h4", family: "f1", user: "alice", issuedAt: 0, expiresAt: 0))
        XCTAssertFalse(afterRevoke, "a revoked token cannot be rotated")
        try await store.revokeRefreshTokens(user: "alice")
        let all = try await store.refreshToken(hash: "o1")
        XCTAssertEqual(all?.revoked, true, "a user's tokens are all revoked")
        let unknown = try await store.refreshToken(hash: "nope")
        XCTAssertNil(unknown)
    }

    @Sendable static func secretsFirstWriterWins(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let first = try await store.secret(named: "jwt", orStore: "one")
        let second = try await store.secret(named: "jwt", orStore: "two")
        XCTAssertEqual([first, second], ["one", "one"])
        let other = try await store.secret(named: "other", orStore: "three")
        XCTAssertEqual(other, "three")
    }
}
