import FinanceCore
import FinanceStorage
import Foundation
import XCTest

@testable import FinanceApp

final class AuthServiceTests: XCTestCase {
    private let t0: Int64 = 1_704_153_600_000

    private func service(
        _ store: MemoryStore, clock: TestClock, settings: AuthSettings = AuthSettings(bcryptCost: 4)
    ) async throws -> AuthService {
        let auth = try await AuthService.make(settings: settings, users: store, clock: clock)
        let existing = try await store.userCount()
        if existing == 0 {
            try await store.createUser(
                User(
                    name: "alice", passwordHash: auth.hashPassword("correct horse"), role: .admin, tier: .pro,
                    createdAt: self.t0))
        }
        return auth
    }

    func testLoginIssuesTokensThatVerify() async throws {
        let store = MemoryStore()
        let clock = TestClock(self.t0)
        let auth = try await self.service(store, clock: clock)
        let tokens = try await auth.login(user: "Alice", password: "correct horse")
        XCTAssertEqual(tokens.expiresIn, 900)
        let principal = try await auth.verify(accessToken: tokens.accessToken)
        XCTAssertEqual(principal.user, "alice")
        XCTAssertEqual(principal.role, .admin)
        XCTAssertEqual(principal.tier, .pro)
        XCTAssertEqual(principal.expiresAt, self.t0 + 900_000)
        let record = try await store.refreshToken(hash: AuthService.hash(tokens.refreshToken))
        XCTAssertNotNil(record, "the refresh token is stored by its hash")
        let plain = try await store.refreshToken(hash: tokens.refreshToken)
        XCTAssertNil(plain, "never in clear")

        for (user, password) in [("alice", "wrong"), ("bob", "correct horse"), ("", "x"), ("al ice", "x")] {
            do {
                _ = try await auth.login(user: user, password: password)
                XCTFail("\(user) / \(password) must fail")
            } catch let error as AuthError {
                XCTAssertEqual(error, .invalidCredentials)
            }
        }
    }

    func testTokensAreRefusedWhenExpiredForgedOrForOthers() async throws {
        let store = MemoryStore()
        let clock = TestClock(self.t0)
        let auth = try await self.service(store, clock: clock)
        let tokens = try await auth.login(user: "alice", password: "correct horse")
        clock.advance(by: 900_000 + 29_000)
        _ = try await auth.verify(accessToken: tokens.accessToken)  // within the 30 s leeway
        clock.advance(by: 2_000)
        await self.assertRefused(auth, tokens.accessToken, "expired")

        let parts = tokens.accessToken.split(separator: ".").map(String.init)
        // alg none: header {"alg":"none","typ":"JWT"}, same payload, no signature.
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
        await self.assertRefused(auth, none, "algorithm")
        await self.assertRefused(auth, parts[0] + "." + parts[1] + ".AAAA", "signature or format")
        await self.assertRefused(auth, "not a token", "algorithm")
        // The same signature under a header naming another algorithm or a key id.
        let hs384 = "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9." + parts[1] + "." + parts[2]
        await self.assertRefused(auth, hs384, "algorithm")

        // Signed with another key: a forged token.
        let otherStore = MemoryStore()
        let other = try await self.service(
            otherStore, clock: TestClock(self.t0),
            settings: AuthSettings(jwtSecret: String(repeating: "k", count: 32), bcryptCost: 4))
        let forged = try await other.login(user: "alice", password: "correct horse")
        await self.assertRefused(auth, forged.accessToken, "signature or format")

        // Another issuer or audience, with the same key.
        let secret = String(repeating: "s", count: 40)
        let issuerA = try await self.service(
            MemoryStore(), clock: TestClock(self.t0),
            settings: AuthSettings(jwtSecret: secret, issuer: "elsewhere", bcryptCost: 4))
        let issuerB = try await self.service(
            MemoryStore(), clock: TestClock(self.t0), settings: AuthSettings(jwtSecret: secret, bcryptCost: 4))
        let foreign = try await issuerA.login(user: "alice", password: "correct horse")
        await self.assertRefused(issuerB, foreign.accessToken, "issuer")
    }

    func testRefreshRotatesAndAReusedTokenRevokesTheFamily() async throws {
        let store = MemoryStore()
        let clock = TestClock(self.t0)
        let auth = try await self.service(store, clock: clock)
        let first = try await auth.login(user: "alice", password: "correct horse")
        let second = try await auth.refresh(first.refreshToken)
        XCTAssertNotEqual(second.refreshToken, first.refreshToken)
        do {
            _ = try await auth.refresh(first.refreshToken)
            XCTFail("a rotated refresh token must not work twice")
        } catch let error as AuthError {
            XCTAssertEqual(error, .refreshReused)
        }
        do {
            _ = try await auth.refresh(second.refreshToken)
            XCTFail("the whole family is revoked after a reuse")
        } catch let error as AuthError {
            XCTAssertEqual(error, .invalidToken("revoked"))
        }
        let again = try await auth.login(user: "alice", password: "correct horse")
        try await auth.logout(again.refreshToken)
        do {
            _ = try await auth.refresh(again.refreshToken)
            XCTFail("a logged-out refresh token is revoked")
        } catch let error as AuthError {
            XCTAssertEqual(error, .invalidToken("revoked"))
        }
    }

    func testDisabledUsersCannotSignInAndTheirTokensStopWorking() async throws {
        let store = MemoryStore()
        let auth = try await self.service(store, clock: TestClock(self.t0))
        let tokens = try await auth.login(user: "alice", password: "correct horse")
        var alice = try await store.user(named: "alice")
        alice.disabled = true
        try await store.updateUser(alice)
        await self.assertRefused(auth, tokens.accessToken, "user disabled or removed")
        do {
            _ = try await auth.login(user: "alice", password: "correct horse")
            XCTFail("a disabled user cannot sign in")
        } catch let error as AuthError {
            XCTAssertEqual(error, .disabled)
        }
    }

    func testTheGeneratedKeyIsSharedThroughTheDatabase() async throws {
        let store = MemoryStore()
        let a = try await self.service(store, clock: TestClock(self.t0))
        let b = try await AuthService.make(
            settings: AuthSettings(bcryptCost: 4), users: store, clock: TestClock(self.t0))
        let tokens = try await a.login(user: "alice", password: "correct horse")
        let principal = try await b.verify(accessToken: tokens.accessToken)
        XCTAssertEqual(principal.user, "alice", "a second instance on the same database accepts the first's tokens")
    }

    private func assertRefused(
        _ auth: AuthService, _ token: String, _ reason: String, file: StaticString = #filePath, line: UInt = #line
    ) async {
        do {
            _ = try await auth.verify(accessToken: token)
            XCTFail("expected a refusal (\(reason))", file: file, line: line)
        } catch let error as AuthError {
            XCTAssertEqual(error, .invalidToken(reason), file: file, line: line)
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }
}

/// `AuthService.recheck`: what a WebSocket's caller became since its handshake.
final class AuthRecheckTests: XCTestCase {
    func testRevokedSignInsKeysAndDisabledUsersAreSeen() async throws {
        let store = MemoryStore()
        let clock = TestClock(1_780_000_000_000)
        let auth = try await AuthService.make(
            settings: AuthSettings(jwtSecret: String(repeating: "s", count: 40), bcryptCost: 4), users: store,
            clock: clock)
        try await store.createUser(
            User(name: "alice", passwordHash: auth.hashPassword("pw"), role: .user, tier: .pro, createdAt: 0))
        let tokens = try await auth.login(user: "alice", password: "pw")
        let principal = try await auth.verify(accessToken: tokens.accessToken)
        let fresh = await auth.recheck(principal)
        XCTAssertEqual(fresh, .valid)
        try await auth.logout(tokens.refreshToken)
        let afterLogout = await auth.recheck(principal)
        XCTAssertEqual(afterLogout, .revoked)

        let (record, key) = try await auth.createAPIKey(name: "k", owner: "alice")
        let keyed = try await auth.verify(apiKey: key)
        let keyFresh = await auth.recheck(keyed)
        XCTAssertEqual(keyFresh, .valid)
        var alice = try await store.user(named: "alice")
        alice.disabled = true
        try await store.updateUser(alice)
        clock.advance(by: 2_500)
        let disabled = await auth.recheck(keyed)
        XCTAssertEqual(disabled, .userDisabled)
        _ = try await auth.revokeAPIKey(id: record.id)
        let revoked = await auth.recheck(keyed)
        XCTAssertEqual(revoked, .revoked)
    }
}
