import FinanceCore
import Synchronization

/// Portfolios of the in-memory store: the reference semantics of `PortfolioRepository`.
final class MemoryPortfolioState: Sendable {
    struct State {
        var portfolios: [String: Portfolio] = [:]
        /// Snapshots by portfolio id, then by ts.
        var snapshots: [String: [Int64: Double]] = [:]
    }

    let state = Mutex(State())
}

extension MemoryStore {
    public func createPortfolio(_ portfolio: Portfolio) async throws {
        try self.portfolioState.state.withLock { s in
            guard s.portfolios[portfolio.id] == nil else { throw StorageError.conflict("portfolio \(portfolio.id)") }
            s.portfolios[portfolio.id] = portfolio
        }
    }

    public func portfolio(id: String) async throws -> Portfolio {
        guard let p = self.portfolioState.state.withLock({ $0.portfolios[id] }) else {
            throw StorageError.notFound("portfolio \(id)")
        }
        return p
    }

    public func portfolios(owner: String?, after: String?, limit: Int) async throws -> [Portfolio] {
        let all = self.portfolioState.state.withLock { Array($0.portfolios.values) }
        let matching = all.filter { p in
            (owner.map { p.owner == $0 } ?? true)
                && (after.map { $0.utf8.lexicographicallyPrecedes(p.id.utf8) } ?? true)
        }
        let ordered = matching.sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        return Array(ordered.prefix(max(0, limit)))
    }

    public func updatePortfolio(_ portfolio: Portfolio) async throws {
        try self.portfolioState.state.withLock { s in
            guard let stored = s.portfolios[portfolio.id] else {
                throw StorageError.notFound("portfolio \(portfolio.id)")
            }
            var updated = portfolio
            updated.owner = stored.owner
            updated.createdAt = stored.createdAt
            s.portfolios[portfolio.id] = updated
        }
    }

    public func deletePortfolio(id: String) async throws {
        try self.portfolioState.state.withLock { s in
            guard s.portfolios.removeValue(forKey: id) != nil else { throw StorageError.notFound("portfolio \(id)") }
            s.snapshots[id] = nil
        }
    }

    public func appendPortfolioSnapshots(_ snapshots: [PortfolioSnapshot]) async throws {
        self.portfolioState.state.withLock { s in
            for snapshot in snapshots where s.portfolios[snapshot.portfolioId] != nil {
                s.snapshots[snapshot.portfolioId, default: [:]][snapshot.ts] = snapshot.value
            }
        }
    }

    public func portfolioSnapshots(id: String, from: Int64, to: Int64, limit: Int) async throws -> [PortfolioSnapshot] {
        let values = self.portfolioState.state.withLock { $0.snapshots[id] ?? [:] }
        let selected = values.filter { $0.key >= from && $0.key < to }.sorted { $0.key < $1.key }
        return selected.prefix(max(0, limit)).map { PortfolioSnapshot(portfolioId: id, ts: $0.key, value: $0.value) }
    }
}
