import FinanceApp
import FinanceCore
import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import XCTest

@testable import FinanceCLI

/// `financehub user add|list|disable` through the real binary, and the first-start admin.
final class UserCommandTests: TemporaryFolderTestCase {
    private func run(_ arguments: [String], stdin: String = "") throws -> (code: Int32, out: String, err: String) {
        guard let result = try FinanceHubBinary.run(arguments, stdin: stdin, in: self.dir) else {
            throw XCTSkip("financehub binary not built next to the tests")
        }
        return result
    }

    func testAddListAndDisable() async throws {
        let db = "sqlite:\(self.path("users.sqlite"))"
        let add = try self.run(
            ["user", "add", "Alice", "--role", "admin", "--tier", "pro", "--password-stdin", "--database", db],
            stdin: "correct horse battery\n")
        XCTAssertEqual(add.code, 0, add.err)
        XCTAssertEqual(add.out, "created alice (admin, pro)\n")
        let duplicate = try self.run(["user", "add", "alice", "--password-stdin", "--database", db], stdin: "x\n")
        XCTAssertEqual(duplicate.code, 1)
        XCTAssertTrue(duplicate.err.contains("user alice exists"), duplicate.err)
        let noStdin = try self.run(["user", "add", "bob", "--database", db])
        XCTAssertEqual(noStdin.code, 64, "the password only ever comes from stdin")
        let badName = try self.run(["user", "add", "bad name", "--password-stdin", "--database", db], stdin: "x\n")
        XCTAssertEqual(badName.code, 64)
        let empty = try self.run(["user", "add", "carol", "--password-stdin", "--database", db], stdin: "")
        XCTAssertEqual(empty.code, 1)

        let list = try self.run(["user", "list", "--database", db])
        XCTAssertEqual(list.code, 0, list.err)
        let lines = list.out.split(separator: "\n")
        XCTAssertEqual(lines.first, "name,role,tier,disabled,created")
        XCTAssertTrue(lines.last?.hasPrefix("alice,admin,pro,false,") ?? false, list.out)
        XCTAssertFalse(list.out.contains("$2"), "never a hash")

        // The stored hash checks the password as typed, without its newline.
        let store = try SQLiteStore(path: self.path("users.sqlite"))
        let auth = try await AuthService.make(settings: AuthSettings(), users: store, clock: SystemClock())
        _ = try await auth.login(user: "alice", password: "correct horse battery")
        try await store.close()

        let disable = try self.run(["user", "disable", "alice", "--database", db])
        XCTAssertEqual(disable.code, 0, disable.err)
        let after = try self.run(["user", "list", "--database", db])
        XCTAssertTrue(after.out.contains("alice,admin,pro,true,"), after.out)
        let missing = try self.run(["user", "disable", "nobody", "--database", db])
        XCTAssertEqual(missing.code, 1)
    }

    func testTheFirstStartCreatesOneAdminOnce() async throws {
        let store = MemoryStore()
        let auth = try await AuthService.make(settings: AuthSettings(bcryptCost: 4), users: store, clock: SystemClock())
        let first = try await FirstAdmin.create(auth: auth, users: store)
        let admin = try XCTUnwrap(first)
        XCTAssertEqual(admin.name, "admin")
        XCTAssertEqual(admin.password.count, 20)
        XCTAssertTrue(admin.banner(baseURL: "http://127.0.0.1:8000").contains(admin.password))
        _ = try await auth.login(user: "admin", password: admin.password)
        let second = try await FirstAdmin.create(auth: auth, users: store)
        XCTAssertNil(second, "users exist: nothing is created or printed")
        let user = try await store.user(named: "admin")
        XCTAssertEqual(user.role, .admin)
    }

    func testAShortJWTSecretIsAConfigurationError() async throws {
        do {
            _ = try await AppSettings.load(
                configFile: nil, overrides: [:], environment: ["FINANCEHUB_AUTH_JWT_SECRET": "too short"])
            XCTFail("a secret under 32 bytes must be refused")
        } catch let error as CLIFailure {
            XCTAssertTrue("\(error)".contains("auth.jwtSecret: must be at least 32 bytes"), "\(error)")
            XCTAssertFalse("\(error)".contains("too short"), "the secret is never printed")
        }
    }
}
