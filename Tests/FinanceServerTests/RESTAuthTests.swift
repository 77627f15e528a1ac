import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// Everything under /api needs a caller (a bearer token or an API key); roles and tiers decide the rest.
final class RESTAuthTests: XCTestCase {
    private let now: Int64 = 1_780_000_000_000

    /// An app on `store` with a user `alice` (user, free) whose password is `pw-alice`.
    private func app(
        _ store: MemoryStore = MemoryStore(), clock: SettableClock? = nil,
        configure: @escaping (inout ServerSettings) -> Void = { _ in }
    ) async throws -> (some ApplicationProtocol, AuthService) {
        let clock = clock ?? SettableClock(self.now)
        let auth = try await TestAuth.service(users: store, clock: clock)
        try await store.createUser(
            User(name: "alice", passwordHash: auth.hashPassword("pw-alice"), role: .user, tier: .free, createdAt: 0))
        return (try await makeApp(store: store, clock: clock, auth: auth, configure: configure), auth)
    }

    private static func login(
        _ client: some TestClientProtocol, _ user: String = "alice", _ password: String = "pw-alice"
    )
        async throws -> TokenResponseDTO
    {
        let r = try await client.send(
            .post, "/api/auth/login", json: #"{"username":"\#(user)","password":"\#(password)"}"#, token: nil)
        XCTAssertEqual(r.status, .ok, r.text)
        return try r.decode(TokenResponseDTO.self)
    }

    func testAnonymousRequestsUnderApiAre401EvenForUnknownPaths() async throws {
        let (app, _) = try await self.app()
        try await app.test(.router) { client in
            for path in ["/api/quotes/BTC", "/api/assets", "/api/nowhere", "/api", "/api/auth/keys"] {
                let r = try await client.send(.get, path, token: nil)
                XCTAssertEqual(r.status, .unauthorized, path)
                XCTAssertEqual(r.headers[.wwwAuthenticate], "Bearer", path)
                XCTAssertEqual(r.headers[.contentType], "application/problem+json", path)
            }
            let known = try await client.send(.get, "/api/nowhere")
            XCTAssertEqual(known.status, .notFound, "with a token an unknown path is a 404")
            for path in ["/health", "/ready", "/openapi.json", "/docs", "/metrics"] {
                let r = try await client.send(.get, path, token: nil)
                XCTAssertEqual(r.status, .ok, path)
            }
            let wrongScheme = try await client.call(
                uri: "/api/assets", method: .get, headers: [.authorization: "Basic YWxpY2U6cHctYWxpY2U="])
            XCTAssertEqual(wrongScheme.status, .unauthorized)
        }
    }

    func testForgedExpiredAndMisdirectedTokensAreRefused() async throws {
        let (app, _) = try await self.app()
        let t = self.now / 1_000
        let forged: [(String, String)] = [
            (
                "another key",
                TestAuth.token(user: "alice", role: .user, tier: .free, key: String(repeating: "x", count: 40))
            ),
            ("alg none", Self.unsigned(TestAuth.token(user: "alice", role: .user, tier: .free))),
            ("HS384", TestAuth.token(user: "alice", role: .user, tier: .free, algorithm: "HS384")),
            ("expired", TestAuth.token(user: "alice", role: .user, tier: .free, expiresAt: t - 60, notBefore: t - 900)),
            ("not yet valid", TestAuth.token(user: "alice", role: .user, tier: .free, notBefore: t + 3_600)),
            ("issuer", TestAuth.token(user: "alice", role: .user, tier: .free, issuer: "elsewhere")),
            ("audience", TestAuth.token(user: "alice", role: .user, tier: .free, audience: "elsewhere")),
            ("unknown user", TestAuth.token(user: "mallory", role: .admin, tier: .enterprise)),
            ("role raised", Self.tamperedRole(TestAuth.token(user: "alice", role: .user, tier: .free))),
            ("malformed", "not-a-jwt"),
        ]
        try await app.test(.router) { client in
            let fine = try await client.send(
                .get, "/api/assets", token: TestAuth.token(user: "alice", role: .user, tier: .free))
            XCTAssertEqual(fine.status, .ok, "the control token is accepted")
            for (why, token) in forged {
                let r = try await client.send(.get, "/api/assets", token: token)
                XCTAssertEqual(r.status, .unauthorized, why)
            }
            // Expired within the leeway (30 s) still passes.
            let lenient = TestAuth.token(user: "alice", role: .user, tier: .free, expiresAt: t - 10, notBefore: t - 900)
            let r = try await client.send(.get, "/api/assets", token: lenient)
            XCTAssertEqual(r.status, .ok)
        }
    }

    /// The token with `alg: none` and no signature.
    private static func unsigned(_ token: String) -> String {
        let parts = token.split(separator: ".")
        return TestAuth.base64URL(Data(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + parts[1] + "."
    }

    /// The token with `role` changed to admin in the payload and the original signature kept.
    private static func tamperedRole(_ token: String) -> String {
        let parts = token.split(separator: ".").map(String.init)
        var payload = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        let json = String(decoding: Data(base64Encoded: payload)!, as: UTF8.self)
            .replacingOccurrences(of: #""role":"user""#, with: #""role":"admin""#)
        return parts[0] + "." + TestAuth.base64URL(Data(json.utf8)) + "." + parts[2]
    }

    func testUsersReadButOnlyAdminsAndServiceKeysWrite() async throws {
        let (app, auth) = try await self.app()
        let ticks = #"[{"symbol":"ACME","ts":1717000000000,"price":12.5}]"#
        try await app.test(.router) { client in
            let alice = try await Self.login(client).access_token
            let read = try await client.send(.get, "/api/assets", token: alice)
            XCTAssertEqual(read.status, .ok)
            let write = try await client.send(.post, "/api/ticks", json: ticks, token: alice)
            XCTAssertEqual(write.status, .forbidden, write.text)
            let asset = try await client.send(.post, "/api/assets", json: #"{"symbol":"ACME"}"#, token: alice)
            XCTAssertEqual(asset.status, .forbidden)
            let usage = try await client.send(.get, "/api/providers/coingecko/usage", token: alice)
            XCTAssertEqual(usage.status, .forbidden)
            let admin = try await client.send(.get, "/api/providers/coingecko/usage")
            XCTAssertEqual(admin.status, .ok, admin.text)

            let (record, key) = try await auth.createAPIKey(name: "ingest", owner: nil)
            let service = try await client.call(
                uri: "/api/ticks", method: .post, headers: [.contentType: "application/json", .apiKeyHeader: key],
                body: ByteBuffer(string: ticks))
            XCTAssertEqual(service.status, .created, service.text)
            let serviceUsage = try await client.call(
                uri: "/api/providers/coingecko/usage", method: .get, headers: [.apiKeyHeader: key])
            XCTAssertEqual(serviceUsage.status, .forbidden, "provider usage is for admins")
            let revoked = try await auth.revokeAPIKey(id: record.id)
            XCTAssertTrue(revoked)
            let after = try await client.call(uri: "/api/assets", method: .get, headers: [.apiKeyHeader: key])
            XCTAssertEqual(after.status, .unauthorized, "a revoked key is refused at once on its instance")
            let guessed = try await client.call(
                uri: "/api/assets", method: .get, headers: [.apiKeyHeader: "fhk_\(record.id)_guess"])
            XCTAssertEqual(guessed.status, .unauthorized)
        }
    }

    func testPersonalKeysActAsTheirOwnerUntilTheOwnerIsDisabled() async throws {
        let store = MemoryStore()
        let clock = SettableClock(self.now)
        let (app, _) = try await self.app(store, clock: clock)
        try await app.test(.router) { client in
            let alice = try await Self.login(client).access_token
            let created = try await client.send(.post, "/api/auth/keys", json: #"{"name":"laptop"}"#, token: alice)
            XCTAssertEqual(created.status, .created, created.text)
            let key = try XCTUnwrap(created.object["key"] as? String)
            XCTAssertTrue(key.hasPrefix("fhk_"))
            let listed = try await client.send(.get, "/api/auth/keys", token: alice)
            let items = listed.object["items"] as? [[String: Any]] ?? []
            XCTAssertEqual(items.count, 1)
            XCTAssertNil(items.first?["key"], "a listing never shows the key")
            XCTAssertEqual(items.first?["owner"] as? String, "alice")
            let read = try await client.call(uri: "/api/assets", method: .get, headers: [.apiKeyHeader: key])
            XCTAssertEqual(read.status, .ok)
            let write = try await client.call(
                uri: "/api/ticks", method: .post, headers: [.apiKeyHeader: key, .contentType: "application/json"],
                body: ByteBuffer(string: "[]"))
            XCTAssertEqual(write.status, .forbidden, "a personal key has its owner's role")
            let bad = try await client.send(.post, "/api/auth/keys", json: #"{"name":""}"#, token: alice)
            XCTAssertEqual(bad.problemFields, ["name"])

            var user = try await store.user(named: "alice")
            user.disabled = true
            try await store.updateUser(user)
            clock.advance(by: 2_500)
            let disabled = try await client.call(uri: "/api/assets", method: .get, headers: [.apiKeyHeader: key])
            XCTAssertEqual(disabled.status, .unauthorized, "a disabled owner's key stops within 2 s")
            let token = try await client.send(.get, "/api/assets", token: alice)
            XCTAssertEqual(token.status, .unauthorized, "so do their access tokens")
        }
    }

    func testAUserCannotSeeOrRevokeAnotherUsersKey() async throws {
        let store = MemoryStore()
        let (app, auth) = try await self.app(store)
        try await store.createUser(
            User(name: "bob", passwordHash: auth.hashPassword("pw-bob"), role: .user, tier: .free, createdAt: 0))
        try await app.test(.router) { client in
            let alice = try await Self.login(client).access_token
            let bob = try await Self.login(client, "bob", "pw-bob").access_token
            let created = try await client.send(.post, "/api/auth/keys", json: #"{"name":"laptop"}"#, token: alice)
            let id = try XCTUnwrap(created.object["id"] as? String)
            let key = try XCTUnwrap(created.object["key"] as? String)
            let listed = try await client.send(.get, "/api/auth/keys", token: bob)
            XCTAssertEqual((listed.object["items"] as? [[String: Any]])?.count, 0, "bob sees none of alice's keys")
            let revoked = try await client.send(.delete, "/api/auth/keys/\(id)", token: bob)
            XCTAssertEqual(revoked.status, .notFound, "another user's key is not found, not revoked")
            let stillWorks = try await client.call(uri: "/api/assets", method: .get, headers: [.apiKeyHeader: key])
            XCTAssertEqual(stillWorks.status, .ok, "alice's key still works")
            let own = try await client.send(.delete, "/api/auth/keys/\(id)", token: alice)
            XCTAssertEqual(own.status, .noContent)
            let gone = try await client.call(uri: "/api/assets", method: .get, headers: [.apiKeyHeader: key])
            XCTAssertEqual(gone.status, .unauthorized, "a revoked key stops at once on this instance")
        }
    }

    func testLogoutAndRefreshReuseRevokeTheAccessTokensOfTheSignIn() async throws {
        let store = MemoryStore()
        let (app, _) = try await self.app(store)
        try await app.test(.router) { client in
            let first = try await Self.login(client)
            let ok = try await client.send(.get, "/api/assets", token: first.access_token)
            XCTAssertEqual(ok.status, .ok)
            let out = try await client.send(
                .post, "/api/auth/logout", json: #"{"refresh_token":"\#(first.refresh_token)"}"#, token: nil)
            XCTAssertEqual(out.status, .noContent)
            let after = try await client.send(.get, "/api/assets", token: first.access_token)
            XCTAssertEqual(after.status, .unauthorized, "logout revokes the sign-in's access tokens")

            let second = try await Self.login(client)
            let rotated = try await client.send(
                .post, "/api/auth/refresh", json: #"{"refresh_token":"\#(second.refresh_token)"}"#, token: nil)
            let next = try rotated.decode(TokenResponseDTO.self)
            let reuse = try await client.send(
                .post, "/api/auth/refresh", json: #"{"refresh_token":"\#(second.refresh_token)"}"#, token: nil)
            XCTAssertEqual(reuse.status, .unauthorized)
            for token in [second.access_token, next.access_token] {
                let r = try await client.send(.get, "/api/assets", token: token)
                XCTAssertEqual(r.status, .unauthorized, "a reused refresh token revokes the whole sign-in")
            }
        }
    }

    func testARevocationOnOneInstanceReachesAnotherThroughTheDatabase() async throws {
        let store = MemoryStore()
        let clock = SettableClock(self.now)
        let a = try await TestAuth.service(users: store, clock: clock)
        let b = try await TestAuth.service(users: store, clock: clock)
        let token = TestAuth.token(user: TestAuth.adminName, role: .admin, tier: .enterprise, jti: "jti-1")
        let before = try await b.verify(accessToken: token)
        XCTAssertEqual(before.user, TestAuth.adminName)
        try await a.revoke(tokenId: "jti-1")
        clock.advance(by: 1_000)
        try await b.pollRevocations()
        do {
            _ = try await b.verify(accessToken: token)
            XCTFail("a revoked token must be refused")
        } catch AuthError.invalidToken(let why) {
            XCTAssertEqual(why, "revoked")
        }
    }

    func testAdminRoutesNeedTheAdminRoleAndAnAdminCanRevokeAToken() async throws {
        let (app, _) = try await self.app()
        try await app.test(.router) { client in
            let alice = try await Self.login(client).access_token
            for path in ["/api/admin/tokens/abc", "/api/admin/anything"] {
                let r = try await client.send(.delete, path, token: alice)
                XCTAssertEqual(r.status, .forbidden, path)
            }
            let jti = "revoke-me-1"
            let victim = TestAuth.token(user: "alice", role: .user, tier: .free, jti: jti)
            let before = try await client.send(.get, "/api/assets", token: victim)
            XCTAssertEqual(before.status, .ok)
            let bad = try await client.send(.delete, "/api/admin/tokens/not%20valid")
            XCTAssertEqual(bad.problemFields, ["jti"])
            let revoked = try await client.send(.delete, "/api/admin/tokens/\(jti)")
            XCTAssertEqual(revoked.status, .noContent)
            let after = try await client.send(.get, "/api/assets", token: victim)
            XCTAssertEqual(after.status, .unauthorized)
            let other = try await client.send(.get, "/api/assets", token: alice)
            XCTAssertEqual(other.status, .ok, "only that token")
        }
    }

    func testUsersAreHeldToTheirTiersRequestRateButAdminsAreNot() async throws {
        let (app, _) = try await self.app { $0.apiRequestsPerMinute[.free] = 3 }
        try await app.test(.router) { client in
            let alice = try await Self.login(client).access_token
            for _ in 0..<3 {
                let r = try await client.send(.get, "/api/assets", token: alice)
                XCTAssertEqual(r.status, .ok)
            }
            let limited = try await client.send(.get, "/api/assets", token: alice)
            XCTAssertEqual(limited.status, .tooManyRequests)
            XCTAssertEqual(limited.headers[.retryAfter], "20", "a token is back after 60 s / 3")
            for _ in 0..<10 {
                let admin = try await client.send(.get, "/api/assets")
                XCTAssertEqual(admin.status, .ok)
            }
        }
    }

    func testTheMetricsTokenAndCorsOrigins() async throws {
        let (app, _) = try await self.app {
            $0.metricsToken = "scrape-secret"
            $0.corsOrigins = ["https://app.example.com"]
        }
        try await app.test(.router) { client in
            let anonymous = try await client.send(.get, "/metrics", token: nil)
            XCTAssertEqual(anonymous.status, .unauthorized)
            let scraper = try await client.send(.get, "/metrics", token: "scrape-secret")
            XCTAssertEqual(scraper.status, .ok)
            let preflight = try await client.execute(
                uri: "/api/assets", method: .options,
                headers: [.origin: "https://app.example.com", .accessControlRequestMethod: "GET"])
            XCTAssertEqual(preflight.status, .noContent)
            XCTAssertEqual(preflight.headers[.accessControlAllowOrigin], "https://app.example.com")
            XCTAssertTrue(preflight.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            let denied = try await client.send(.get, "/api/assets", token: nil)
            XCTAssertNil(denied.headers[.accessControlAllowOrigin])
            let allowed = try await client.call(
                uri: "/api/assets", method: .get, headers: [.origin: "https://app.example.com"])
            XCTAssertEqual(allowed.headers[.accessControlAllowOrigin], "https://app.example.com")
            let unauthorized = try await client.execute(
                uri: "/api/assets", method: .get, headers: [.origin: "https://app.example.com"])
            XCTAssertEqual(unauthorized.status, .unauthorized)
            XCTAssertEqual(
                unauthorized.headers[.accessControlAllowOrigin], "https://app.example.com",
                "a browser can read the 401")
            let other = try await client.call(
                uri: "/api/assets", method: .get, headers: [.origin: "https://evil.example"])
            XCTAssertNil(other.headers[.accessControlAllowOrigin])
        }
    }
}
