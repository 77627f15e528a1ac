import FinanceStorage
import PostgresNIO

/// Provider budgets, key states, the usage log and the health history.
extension PostgresStore {
    public func reserveBudget(provider: String, keyId: String, windows: [BudgetWindow], cost: Int, now: Int64)
        async throws -> BudgetReservation
    {
        try await self.transaction("reserve budget") { conn in
            // One key's reservations are serialised across instances for the transaction (a lock per key).
            try await self.exec(
                conn, "SELECT pg_advisory_xact_lock(hashtextextended(\(provider + "\u{1F}" + keyId), 0))")
            try await self.exec(
                conn,
                "DELETE FROM provider_budget WHERE provider = \(provider) AND key_id = \(keyId) AND window_end <= \(now)"
            )
            for window in windows {
                let used = try await self.used(conn, provider: provider, keyId: keyId, window: window)
                if used + cost > window.limit { return .exhausted(window) }
            }
            for window in windows {
                try await self.exec(
                    conn,
                    """
                    INSERT INTO provider_budget (provider, key_id, kind, window_start, window_end, used)
                    VALUES (\(provider), \(keyId), \(window.kind.rawValue), \(window.start), \(window.end), \(cost))
                    ON CONFLICT (provider, key_id, kind, window_start)
                    DO UPDATE SET used = provider_budget.used + EXCLUDED.used
                    """)
            }
            return .granted
        }
    }

    public func budgetUsage(provider: String, keyId: String, windows: [BudgetWindow]) async throws -> [Int] {
        try await self.withConnection("read budget usage") { conn in
            var out: [Int] = []
            for window in windows {
                out.append(try await self.used(conn, provider: provider, keyId: keyId, window: window))
            }
            return out
        }
    }

    private func used(_ conn: PostgresConnection, provider: String, keyId: String, window: BudgetWindow) async throws
        -> Int
    {
        let rows = try await conn.query(
            """
            SELECT used FROM provider_budget
            WHERE provider = \(provider) AND key_id = \(keyId) AND kind = \(window.kind.rawValue)
              AND window_start = \(window.start)
            """, logger: self.logger)
        for try await used in rows.decode(Int32.self) { return Int(used) }
        return 0
    }

    public func keyStates(provider: String) async throws -> [ProviderKeyState] {
        try await self.withConnection("read key states") { conn in
            let rows = try await conn.query(
                """
                SELECT key_id, parked_until, disabled_reason, unavailable FROM provider_keys
                WHERE provider = \(provider) ORDER BY key_id
                """, logger: self.logger)
            var out: [ProviderKeyState] = []
            for try await (keyId, parked, reason, unavailable) in rows.decode((String, Int64?, String?, String).self) {
                out.append(
                    ProviderKeyState(
                        provider: provider, keyId: keyId, parkedUntil: parked, disabledReason: reason,
                        unavailable: unavailable.split(separator: ",").map(String.init)))
            }
            return out
        }
    }

    public func saveKeyState(_ state: ProviderKeyState) async throws {
        try await self.withConnection("save key state") { conn in
            try await self.exec(
                conn,
                """
                INSERT INTO provider_keys (provider, key_id, parked_until, disabled_reason, unavailable)
                VALUES (\(state.provider), \(state.keyId), \(state.parkedUntil), \(state.disabledReason),
                        \(state.unavailable.joined(separator: ",")))
                ON CONFLICT (provider, key_id) DO UPDATE SET parked_until = EXCLUDED.parked_until,
                    disabled_reason = EXCLUDED.disabled_reason, unavailable = EXCLUDED.unavailable
                """)
        }
    }

    public func appendUsage(_ entries: [ProviderUsageEntry]) async throws {
        guard !entries.isEmpty else { return }
        try await self.transaction("append usage") { conn in
            for e in entries {
                try await self.exec(
                    conn,
                    """
                    INSERT INTO provider_usage (ts, provider, key_id, endpoint, status, latency_ms, credits, cache_hit)
                    VALUES (\(e.ts), \(e.provider), \(e.keyId), \(e.endpoint), \(e.status), \(e.latencyMs),
                            \(Int32(clamping: e.credits)), \(e.cacheHit))
                    """)
            }
        }
    }

    public func usage(provider: String, from: Int64, to: Int64, limit: Int) async throws -> [ProviderUsageEntry] {
        try await self.withConnection("read usage") { conn in
            let rows = try await conn.query(
                """
                SELECT ts, key_id, endpoint, status, latency_ms, credits, cache_hit FROM provider_usage
                WHERE provider = \(provider) AND ts >= \(from) AND ts < \(to) ORDER BY ts, seq LIMIT \(max(0, limit))
                """, logger: self.logger)
            var out: [ProviderUsageEntry] = []
            for try await (ts, keyId, endpoint, status, latency, credits, hit) in rows.decode(
                (Int64, String?, String, String, Double, Int32, Bool).self)
            {
                out.append(
                    ProviderUsageEntry(
                        ts: ts, provider: provider, keyId: keyId, endpoint: endpoint, status: status,
                        latencyMs: latency, credits: Int(credits), cacheHit: hit))
            }
            return out
        }
    }

    public func recordHealth(_ samples: [ProviderHealthSample]) async throws {
        guard !samples.isEmpty else { return }
        try await self.transaction("record health") { conn in
            for s in samples {
                try await self.exec(
                    conn,
                    """
                    INSERT INTO provider_health (provider, minute, score, requests, failures, latency_p95_ms, circuit)
                    VALUES (\(s.provider), \(s.minute), \(s.score), \(Int32(clamping: s.requests)),
                            \(Int32(clamping: s.failures)), \(s.latencyP95Ms), \(s.circuit))
                    ON CONFLICT (provider, minute) DO UPDATE SET score = EXCLUDED.score, requests = EXCLUDED.requests,
                        failures = EXCLUDED.failures, latency_p95_ms = EXCLUDED.latency_p95_ms,
                        circuit = EXCLUDED.circuit
                    """)
            }
        }
    }

    public func health(provider: String, from: Int64, to: Int64) async throws -> [ProviderHealthSample] {
        try await self.withConnection("read health") { conn in
            let rows = try await conn.query(
                """
                SELECT minute, score, requests, failures, latency_p95_ms, circuit FROM provider_health
                WHERE provider = \(provider) AND minute >= \(from) AND minute < \(to) ORDER BY minute
                """, logger: self.logger)
            var out: [ProviderHealthSample] = []
            for try await (minute, score, requests, failures, p95, circuit) in rows.decode(
                (Int64, Double, Int32, Int32, Double?, String).self)
            {
                out.append(
                    ProviderHealthSample(
                        provider: provider, minute: minute, score: score, requests: Int(requests),
                        failures: Int(failures), latencyP95Ms: p95, circuit: circuit))
            }
            return out
        }
    }
}

/// Where each asset's latest data came from.
extension PostgresStore {
    public func recordSource(_ source: String, symbols: [String]) async throws {
        guard !symbols.isEmpty else { return }
        try await self.withConnection("record source") { conn in
            try await self.exec(conn, "UPDATE assets SET source = \(source) WHERE symbol = ANY(\(symbols))")
        }
    }

    public func source(of symbol: String) async throws -> String? {
        try await self.withConnection("read source") { conn in
            let rows = try await conn.query("SELECT source FROM assets WHERE symbol = \(symbol)", logger: self.logger)
            for try await source in rows.decode(String?.self) { return source }
            return nil
        }
    }
}

/// The per-asset symbol map.
extension PostgresStore {
    public func symbolOverrides(_ symbol: String) async throws -> [String: String] {
        try await self.withConnection("read symbol overrides") { conn in
            let rows = try await conn.query(
                "SELECT provider, upstream_id FROM provider_symbols WHERE symbol = \(symbol)", logger: self.logger)
            var out: [String: String] = [:]
            for try await (provider, id) in rows.decode((String, String).self) { out[provider] = id }
            return out
        }
    }

    public func setSymbolOverrides(_ symbol: String, _ overrides: [String: String?]) async throws {
        try await self.transaction("set symbol overrides") { conn in
            for (provider, id) in overrides.sorted(by: { $0.key < $1.key }) {
                if let id {
                    try await self.exec(
                        conn,
                        """
                        INSERT INTO provider_symbols (symbol, provider, upstream_id) VALUES (\(symbol), \(provider), \(id))
                        ON CONFLICT (symbol, provider) DO UPDATE SET upstream_id = EXCLUDED.upstream_id
                        """)
                } else {
                    try await self.exec(
                        conn, "DELETE FROM provider_symbols WHERE symbol = \(symbol) AND provider = \(provider)")
                }
            }
        }
    }
}
