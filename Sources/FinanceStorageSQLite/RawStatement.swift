import FinanceCore
import FinanceStorage
import GRDB
import GRDBSQLite

/// SQLite's SQLITE_TRANSIENT destructor: SQLite copies the bound text.
private let sqliteTransient = unsafeBitCast(Int(-1), to: sqlite3_destructor_type.self)

/// A prepared statement driven through the SQLite C API, for the hot paths (bulk inserts, range reads).
///
/// The statement comes from the connection's statement cache (GRDB's `cachedStatement`), so that a transaction
/// does not parse and plan its SQL again each time (preparing the write path's eight statements took a tenth of
/// the server's time under a tick load). It lives only inside one GRDB database access, and one access must not
/// hold two `RawStatement`s of the same SQL at once (they would share the handle).
final class RawStatement {
    private let connection: OpaquePointer
    let handle: OpaquePointer
    /// Keeps the cached statement (and so `handle`) alive.
    private let owner: Statement

    init(_ db: Database, _ sql: String) throws {
        guard let connection = db.sqliteConnection else {
            throw StorageError.backend("the SQLite connection is closed")
        }
        self.connection = connection
        do {
            self.owner = try db.cachedStatement(sql: sql)
        } catch let error as DatabaseError {
            throw StorageError.backend("SQLite error \(error.resultCode.rawValue): \(error.message ?? "unknown error")")
        }
        self.handle = self.owner.sqliteStatement
        sqlite3_reset(self.handle)
        sqlite3_clear_bindings(self.handle)
    }

    static func error(_ connection: OpaquePointer, _ rc: Int32) -> StorageError {
        let message = sqlite3_errmsg(connection).map { String(cString: $0) } ?? "unknown error"
        return StorageError.backend("SQLite error \(rc): \(message)")
    }

    @inline(__always) func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(self.handle, index, value) }
    @inline(__always) func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(self.handle, index, value) }
    @inline(__always) func bind(_ index: Int32, _ value: Double?) {
        if let value { sqlite3_bind_double(self.handle, index, value) } else { sqlite3_bind_null(self.handle, index) }
    }
    @inline(__always) func bind(_ index: Int32, _ value: String) {
        sqlite3_bind_text(self.handle, index, value, -1, sqliteTransient)
    }
    @inline(__always) func bind(_ index: Int32, _ value: String?) {
        if let value { self.bind(index, value) } else { sqlite3_bind_null(self.handle, index) }
    }

    /// Steps once: true when a row is available, false when done. Resets the statement on error.
    @inline(__always) func step() throws -> Bool {
        let rc = sqlite3_step(self.handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let error = RawStatement.error(self.connection, rc)
        sqlite3_reset(self.handle)
        throw error
    }

    /// Runs a statement that returns no rows, then resets it (bindings are kept).
    @inline(__always) func execute() throws {
        let rc = sqlite3_step(self.handle)
        if rc != SQLITE_DONE && rc != SQLITE_ROW {
            let error = RawStatement.error(self.connection, rc)
            sqlite3_reset(self.handle)
            throw error
        }
        sqlite3_reset(self.handle)
    }

    @inline(__always) func reset() { sqlite3_reset(self.handle) }
    @inline(__always) func isNull(_ column: Int32) -> Bool { sqlite3_column_type(self.handle, column) == SQLITE_NULL }

    @inline(__always) func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(self.handle, column) }
    @inline(__always) func double(_ column: Int32) -> Double { sqlite3_column_double(self.handle, column) }
    @inline(__always) func optionalDouble(_ column: Int32) -> Double? {
        sqlite3_column_type(self.handle, column) == SQLITE_NULL ? nil : sqlite3_column_double(self.handle, column)
    }
    @inline(__always) func text(_ column: Int32) -> String? {
        guard let p = sqlite3_column_text(self.handle, column) else { return nil }
        return String(cString: p)
    }

    /// Reads OHLCV bars from columns ts, open, high, low, close, volume (0...5) until done, then resets.
    func readBars(into out: inout [Bar]) throws {
        defer { sqlite3_reset(self.handle) }
        while try self.step() {
            out.append(
                Bar(
                    ts: self.int64(0), open: self.double(1), high: self.double(2), low: self.double(3),
                    close: self.double(4), volume: self.double(5)))
        }
    }
}
