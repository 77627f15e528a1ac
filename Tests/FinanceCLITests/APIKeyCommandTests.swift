import FinanceApp
import FinanceCore
import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import XCTest

@testable import FinanceCLI

/// `financehub apikey create|list|revoke` through the real binary; the keys it prints open the API.
final class APIKeyCommandTests: TemporaryFolderTestCase {
    private func run(_ arguments: [String], stdin: String = "") throws -> (code: Int32, out: String, err: String) {
        guard let result = try FinanceHubBinary.run(arguments, stdin: stdin, in: self.dir) else {
            throw XCTSkip("financehub binary not built next to the tests")
        }
        return result
    }

    func testCreateListRevokeAndTheKeysWork() async throws {
        let path = self.path("keys.sqlite")
        let db = "sqlite:\(path)"
        XCTAssertEqual(try self.run(["migrate", "--database", db]).code, 0)
        let service = try self.run(["apikey", "create", "--name", "feeder, main", "--database", db])
        XCTAssertEqual(service.code, 0, service.err)
        let key = service.out.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(key.hasPrefix("fhk_"), "stdout carries only the key: \(service.out)")
        XCTAssertTrue(service.err.contains("shown only now"), service.err)
        XCTAssertEqual(
            try self.run(["apikey", "create", "--name", "x", "--role", "personal", "--database", db]).code, 64)
        XCTAssertEqual(try self.run(["apikey", "create", "--name", "", "--database", db]).code, 64)
        XCTAssertEqual(try self.run(["apikey", "create", "--name", "x", "--role", "root", "--database", db]).code, 64)
        let noUser = try self.run([
            "apikey", "create", "--name", "x", "--role", "personal", "--user", "bob", "--database", db,
        ])
        XCTAssertEqual(noUser.code, 1)
        XCTAssertTrue(noUser.err.contains("no user bob"), noUser.err)

        let list = try self.run(["apikey", "list", "--database", db])
        XCTAssertEqual(list.code, 0, list.err)
        let lines = list.out.split(separator: "\n")
        XCTAssertEqual(lines.first, "id,name,owner,created,revoked")
        XCTAssertTrue(lines.last?.contains(#","feeder, main",service,"#) ?? false, list.out)
        XCTAssertFalse(list.out.contains("fhk_"), "never a key")
        let id = String(lines.last?.split(separator: ",").first ?? "")

        // The key as the server checks it.
        let store = try SQLiteStore(path: path)
        let auth = try await AuthService.make(settings: AuthSettings(), users: store, clock: SystemClock())
        let principal = try await auth.verify(apiKey: key)
        XCTAssertTrue(principal.isService)
        XCTAssertTrue(principal.mayWrite)
        try await store.close()

        XCTAssertEqual(try self.run(["apikey", "revoke", id, "--database", db]).out, "revoked \(id)\n")
        XCTAssertEqual(try self.run(["apikey", "revoke", "nope", "--database", db]).code, 1)
        let reopened = try SQLiteStore(path: path)
        let again = try await AuthService.make(settings: AuthSettings(), users: reopened, clock: SystemClock())
        do {
            _ = try await again.verify(apiKey: key)
            XCTFail("a revoked key must be refused")
        } catch AuthError.invalidToken {}
        try await reopened.close()
    }
}
