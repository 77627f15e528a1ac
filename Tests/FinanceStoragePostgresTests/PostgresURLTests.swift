import FinanceStorage
import FinanceStoragePostgres
import XCTest

final class PostgresURLTests: XCTestCase {
    func testParsesFullURL() throws {
        let u = try PostgresURL(parsing: "postgres://alice:s3cret@db.example.com:6543/market?sslmode=disable")
        XCTAssertEqual(u.host, "db.example.com")
        XCTAssertEqual(u.port, 6543)
        XCTAssertEqual(u.username, "alice")
        XCTAssertEqual(u.password, "s3cret")
        XCTAssertEqual(u.database, "market")
        XCTAssertEqual(u.sslMode, .disable)
        XCTAssertNil(u.schema)
    }

    func testDefaultsPortAndSSLMode() throws {
        let u = try PostgresURL(parsing: "postgresql://bob@localhost/db")
        XCTAssertEqual(u.port, 5432)
        XCTAssertEqual(u.sslMode, .prefer)
        XCTAssertNil(u.password)
        XCTAssertEqual(u.username, "bob")
    }

    func testDecodesUserAndPassword() throws {
        let u = try PostgresURL(parsing: "postgres://us%40er:p%40ss%3Aw%2Fo%25rd@127.0.0.1/d%20b")
        XCTAssertEqual(u.username, "us@er")
        XCTAssertEqual(u.password, "p@ss:w/o%rd")
        XCTAssertEqual(u.database, "d b")
        XCTAssertEqual(u.host, "127.0.0.1")
    }

    func testEmptyPasswordAndRawAtInPassword() throws {
        let empty = try PostgresURL(parsing: "postgres://u:@h/db")
        XCTAssertEqual(empty.password, "")
        // A raw '@' in the password: the last '@' ends the user info.
        let raw = try PostgresURL(parsing: "postgres://u:a@b@h:1/db")
        XCTAssertEqual(raw.password, "a@b")
        XCTAssertEqual(raw.host, "h")
        XCTAssertEqual(raw.port, 1)
    }

    func testIPv6AndUnixSocket() throws {
        let v6 = try PostgresURL(parsing: "postgres://u:p@[::1]:5433/db")
        XCTAssertEqual(v6.host, "::1")
        XCTAssertEqual(v6.port, 5433)
        XCTAssertEqual(v6.displayName, "postgres://u@[::1]:5433/db")
        let sock = try PostgresURL(parsing: "postgres://u@%2Fvar%2Frun%2Fpostgresql/db")
        XCTAssertTrue(sock.isUnixSocket)
        XCTAssertEqual(sock.host, "/var/run/postgresql")
    }

    func testOptions() throws {
        let u = try PostgresURL(
            parsing: "postgres://u:p@h/db?sslmode=verify-full&schema=market&connect_timeout=3&application_name=fh")
        XCTAssertEqual(u.sslMode, .verifyFull)
        XCTAssertEqual(u.schema, "market")
        XCTAssertEqual(u.connectTimeoutSeconds, 3)
        XCTAssertEqual(u.applicationName, "fh")
        XCTAssertEqual(u.displayName, "postgres://u@h:5432/db?schema=market")
    }

    func testRejectsBadURLs() {
        let bad = [
            "mysql://u:p@h/db", "postgres://u:p@h:0/db", "postgres://u:p@h:70000/db", "postgres://u:p@h:abc/db",
            "postgres://u:p@h:/db", "postgres://u:p@h", "postgres://u:p@h/", "postgres://:p@h/db", "postgres://h/db",
            "postgres://u:p@/db", "postgres://u:p@h/db?sslmode=bogus", "postgres://u:p@h/db?pasword=x",
            "postgres://u:p%zz@h/db", "postgres://u:p@[::1/db", "postgres://u:p@h1,h2/db", "postgres://u:p@h/db#x", "",
        ]
        for text in bad {
            XCTAssertThrowsError(try PostgresURL(parsing: text), text) { error in
                guard case StorageError.invalidConfiguration = error else {
                    return XCTFail("\(text): expected invalidConfiguration, got \(error)")
                }
            }
        }
    }

    func testErrorsNeverShowThePassword() {
        let secrets = [
            "postgres://u:topsecret@h:99999/db", "postgres://u:topsecret%zz@h/db", "postgres://u:topsecret@h/db?x=1",
            "postgres://u:topsecret@h/db?sslmode=topsecret",
        ]
        for text in secrets {
            XCTAssertThrowsError(try PostgresURL(parsing: text)) { error in
                XCTAssertFalse("\(error)".contains("topsecret"), "\(error)")
                XCTAssertFalse(String(reflecting: error).contains("topsecret"))
            }
        }
    }

    func testDisplayNameHidesPassword() throws {
        let u = try PostgresURL(parsing: "postgres://alice:hunter2@localhost/market")
        XCTAssertEqual(u.displayName, "postgres://alice@localhost:5432/market")
        XCTAssertFalse("\(u)".contains("hunter2"))
        XCTAssertFalse(String(reflecting: u).contains("hunter2"))
        var dumped = ""
        dump(u, to: &dumped)
        XCTAssertFalse(dumped.contains("hunter2"), dumped)
    }

    func testConnectFailureHidesPassword() async throws {
        // Nothing listens on port 1: the connection is refused quickly.
        do {
            let store = try await PostgresStore.connect(
                url: "postgres://u:topsecret@127.0.0.1:1/db?sslmode=disable&connect_timeout=2")
            try? await store.close()
            XCTFail("connected to port 1")
        } catch let error as StorageError {
            guard case .backend = error else { return XCTFail("expected backend, got \(error)") }
            XCTAssertFalse("\(error)".contains("topsecret"), "\(error)")
            XCTAssertFalse(String(reflecting: error).contains("topsecret"))
        }
    }
}
