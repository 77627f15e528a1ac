import FinanceStorage
import GRDB

/// Provider budgets, key states, the usage log and the health history.
extension SQLiteStore {
    public func reserveBudget(provider: String, keyId: String, windows: [BudgetWindow], cost: Int, now: Int64)
        async throws -> BudgetReservation
    {
        // One IMMEDIATE transaction: the check and the count are atomic across connections and processes.
        try await self.write("reserve_budget") { db in
            try db.execute(
                sql: "DELETE FROM provider_budget WHERE provider = ? AND key_id = ? AND window_end <= ?",
                arguments: [provider, keyId, now])
            for window in windows {
                let used =
                    try Int.fetchOne(
                        db,
                        sql: """
                            SELECT used FROM provider_budget
                            WHERE provider = ? AND key_id = ? AND kind = ? AND window_start = ?
                            """, arguments: [provider, keyId, window.kind.rawValue, window.start]) ?? 0
                if used + cost > window.limit { return .exhausted(window) }
            }
            for window in windows {
                try db.execute(
                    sql: """
                        INSERT INTO provider_budget (provider, key_id, kind, window_start, window_end, used)
                        VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (provider, key_id, kind, window_start) DO UPDATE SET used = used + excluded.used
                        """,
                    arguments: [provider, keyId, window.kind.rawValue, window.start, window.end, cost])
            }
            return .granted
        }
    }

    public func budgetUsage(provider: String, keyId: String, windows: [BudgetWindow]) async throws -> [Int] {
        try await self.read("budget_usage") { db in
            try windows.map { window in
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT used FROM provider_budget
                        WHERE provider = ? AND key_id = ? AND kind = ? AND window_start = ?
                        """, arguments: [provider, keyId, window.kind.rawValue, window.start]) ?? 0
            }
        }
    }

    public func keyStates(provider: String) async throws -> [ProviderKeyState] {
        try await self.read("key_states") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT key_id, parked_until, disabled_reason, unavailable FROM provider_keys
                    WHERE provider = ? ORDER BY key_id
                    """, arguments: [provider]
            ).map { row in
                let unavailable: String = row[3]
                return ProviderKeyState(
                    provider: provider, keyId: row[0], parkedUntil: row[1], disabledReason: row[2],
                    unavailable: unavailable.split(separator: ",").map(String.init))
            }
        }
    }

    public func saveKeyState(_ state: ProviderKeyState) async throws {
        try await self.write("save_key_state") { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO provider_keys (provider, key_id, parked_until, disabled_reason, unavailable)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    state.provider, state.keyId, state.parkedUntil, state.disabledReason,
                    state.unavailable.joined(separator: ","),
                ])
        }
    }

    public func appendUsage(_ entries: [ProviderUsageEntry]) async throws {
        guard !entries.isEmpty else { return }
        try await self.write("append_usage") { db in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO provider_usage (ts, provider, key_id, endpoint, status, latency_ms, credits, cache_hit)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for e in entries {
                try insert.execute(arguments: [
                    e.ts, e.provider, e.keyId, e.endpoint, e.status, e.latencyMs, e.credits, e.cacheHit,
                ])
            }
        }
    }

    public func usage(provider: String, from: Int64, to: Int64, limit: Int) async throws -> [ProviderUsageEntry] {
        try await self.read("usage") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT ts, key_id, endpoint, status, latency_ms, credits, cache_hit FROM provider_usage
                    WHERE provider = ? AND ts >= ? AND ts < ? ORDER BY ts, seq LIMIT ?
                    """, arguments: [provider, from, to, max(0, limit)]
            ).map { row in
                ProviderUsageEntry(
                    ts: row[0], provider: provider, keyId: row[1], endpoint: row[2], status: row[3],
                    latencyMs: row[4], credits: row[5], cacheHit: row[6])
            }
        }
    }

    public func recordHealth(_ samples: [ProviderHealthSample]) async throws {
        guard !samples.isEmpty else { return }
        try await self.write("record_health") { db in
            for s in samples {
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO provider_health
                            (provider, minute, score, requests, failures, latency_p95_ms, circuit)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [s.provider, s.minute, s.score, s.requests, s.failures, s.latencyP95Ms, s.circuit])
            }
        }
    }

    public func health(provider: String, from: Int64, to: Int64) async throws -> [ProviderHealthSample] {
        try await self.read("health") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT minute, score, requests, failures, latency_p95_ms, circuit FROM provider_health
                    WHERE provider = ? AND minute >= ? AND minute < ? ORDER BY minute
                    """, arguments: [provider, from, to]
            ).map { row in
                ProviderHealthSample(
                    provider: provider, minute: row[0], score: row[1], requests: row[2], failures: row[3],
                    latencyP95Ms: row[4], circuit: row[5])
            }
        }
    }
}

/// Where each asset's latest data came from.
extension SQLiteStore {
    public func recordSource(_ source: String, symbols: [String]) async throws {
        guard !symbols.isEmpty else { return }
        try await self.write("record_source") { db in
            let update = try db.cachedStatement(sql: "UPDATE assets SET source = ? WHERE symbol = ?")
            for symbol in symbols { try update.execute(arguments: [source, symbol]) }
        }
    }

    public func source(of symbol: String) async throws -> String? {
        try await self.read("asset_source") { db in
            try String.fetchOne(db, sql: "SELECT source FROM assets WHERE symbol = ?", arguments: [symbol])
        }
    }
}

/// The per-asset symbol map.
extension SQLiteStore {
    public func symbolOverrides(_ symbol: String) async throws -> [String: String] {
        try await self.read("symbol_overrides") { db in
            var out: [String: String] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT provider, upstream_id FROM provider_symbols WHERE symbol = ?", arguments: [symbol])
            {
                out[row[0]] = row[1]
            }
            return out
        }
    }

    public func setSymbolOverrides(_ symbol: String, _ overrides: [String: String?]) async throws {
        try await self.write("set_symbol_overrides") { db in
            for (provider, id) in overrides.sorted(by: { $0.key < $1.key }) {
                if let id {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO provider_symbols (symbol, provider, upstream_id) VALUES (?, ?, ?)",
                        arguments: [symbol, provider, id])
                } else {
                    try db.execute(
                        sql: "DELETE FROM provider_symbols WHERE symbol = ? AND provider = ?",
                        arguments: [symbol, provider])
                }
            }
        }
    }
}
