import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Hummingbird
import HummingbirdTesting
import XCTest

/// `POST /api/auth/login|refresh|logout` over HTTP: OAuth2's snake_case token response, 401 with
/// `WWW-Authenticate: Bearer`, problems naming the field.
final class AuthRouteTests: XCTestCase {
    private func app(_ store: MemoryStore) async throws -> (some ApplicationProtocol, AuthService) {
        let auth = try await AuthService.make(
            settings: TestAuth.settings, users: store, clock: SystemClock())
        try await store.createUser(
            User(name: "alice", passwordHash: auth.hashPassword("s3cret pass"), role: .user, tier: .free, createdAt: 0))
        return (try await makeApp(store: store, auth: auth), auth)
    }

    func testLoginRefreshAndLogout() async throws {
        let store = MemoryStore()
        let (app, auth) = try await self.app(store)
        try await app.test(.router) { client in
            let login = try await client.send(
                .post, "/api/auth/login", json: #"{"username": "alice", "password": "s3cret pass"}"#)
            XCTAssertEqual(login.status, .ok, login.text)
            let tokens = try login.decode(TokenResponseDTO.self)
            XCTAssertEqual(tokens.token_type, "Bearer")
            XCTAssertEqual(tokens.expires_in, 900)
            let principal = try await auth.verify(accessToken: tokens.access_token)
            XCTAssertEqual(principal.user, "alice")
            XCTAssertEqual(Set(login.object.keys), ["access_token", "refresh_token", "token_type", "expires_in"])

            let refreshed = try await client.send(
                .post, "/api/auth/refresh", json: #"{"refresh_token": "\#(tokens.refresh_token)"}"#)
            XCTAssertEqual(refreshed.status, .ok, refreshed.text)
            let next = try refreshed.decode(TokenResponseDTO.self)
            let reused = try await client.send(
                .post, "/api/auth/refresh", json: #"{"refresh_token": "\#(tokens.refresh_token)"}"#)
            XCTAssertEqual(reused.status, .unauthorized)
            XCTAssertEqual(reused.headers[.wwwAuthenticate], "Bearer")
            let revoked = try await client.send(
                .post, "/api/auth/refresh", json: #"{"refresh_token": "\#(next.refresh_token)"}"#)
            XCTAssertEqual(revoked.status, .unauthorized, "a reuse revokes the whole sign-in")

            let again = try await client.send(
                .post, "/api/auth/login", json: #"{"username": "alice", "password": "s3cret pass"}"#)
            let third = try again.decode(TokenResponseDTO.self)
            let logout = try await client.send(
                .post, "/api/auth/logout", json: #"{"refresh_token": "\#(third.refresh_token)"}"#)
            XCTAssertEqual(logout.status, .noContent)
            let afterLogout = try await client.send(
                .post, "/api/auth/refresh", json: #"{"refresh_token": "\#(third.refresh_token)"}"#)
            XCTAssertEqual(afterLogout.status, .unauthorized)
        }
    }

    func testBadSignInsAreRefusedWithoutSayingWhy() async throws {
        let store = MemoryStore()
        let (app, _) = try await self.app(store)
        try await app.test(.router) { client in
            for body in [#"{"username": "alice", "password": "nope"}"#, #"{"username": "mallory", "password": "x"}"#] {
                let r = try await client.send(.post, "/api/auth/login", json: body)
                XCTAssertEqual(r.status, .unauthorized, body)
                XCTAssertEqual(r.headers[.wwwAuthenticate], "Bearer")
                XCTAssertEqual(r.headers[.contentType], "application/problem+json")
                XCTAssertEqual(r.problem?.detail, "invalid user name or password")
                XCTAssertFalse(r.text.contains("nope"), "the password is never echoed")
            }
            let missing = try await client.send(.post, "/api/auth/login", json: #"{"username": "alice"}"#)
            XCTAssertEqual(missing.status, .unprocessableContent)
            XCTAssertEqual(missing.problemFields, ["password"])
            let camel = try await client.send(.post, "/api/auth/refresh", json: #"{"refreshToken": "x"}"#)
            XCTAssertEqual(camel.status, .unprocessableContent, "snake_case only")
            XCTAssertEqual(Set(camel.problemFields), ["refreshToken", "refresh_token"])
            let huge = String(repeating: "x", count: 5_000)
            let oversized = try await client.send(
                .post, "/api/auth/login", json: #"{"username": "alice", "password": "\#(huge)"}"#)
            XCTAssertEqual(oversized.status, .unprocessableContent, "a 5,000-byte password is refused before bcrypt")
            XCTAssertEqual(oversized.problemFields, ["password"])
            XCTAssertFalse(oversized.text.contains(huge), "the value is never echoed")
            let notJSON = try await client.send(.post, "/api/auth/login", json: "{username")
            XCTAssertEqual(notJSON.status, .badRequest)
            let unknown = try await client.send(.post, "/api/auth/refresh", json: #"{"refresh_token": "forged"}"#)
            XCTAssertEqual(unknown.status, .unauthorized)

            var alice = try await store.user(named: "alice")
            alice.disabled = true
            try await store.updateUser(alice)
            let disabled = try await client.send(
                .post, "/api/auth/login", json: #"{"username": "alice", "password": "s3cret pass"}"#)
            XCTAssertEqual(disabled.status, .forbidden)
        }
    }
}
