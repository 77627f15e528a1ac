import FinanceCore
import FinanceStorage
import Synchronization

/// Every portfolio held in memory with an index by symbol, valued at the quote book's prices: what the alert
/// engine asks for portfolio conditions (the portfolios a ticking symbol belongs to, and their current value) and
/// what the REST routes and the snapshot service value portfolios with.
///
/// The routes keep it current on this instance (`remember`, `forget`); `reload()` reads every portfolio again, so
/// changes made through another instance on the same database show within a snapshot period.
public final class PortfolioValuation: Sendable {
    struct State {
        var portfolios: [String: Portfolio] = [:]
        var bySymbol: [String: Set<String>] = [:]
        /// Edits made here (`remember`, `forget`: nil) by id, with their sequence number, so that a reload that read
        /// the store before them does not undo them.
        var edits: [String: (seq: UInt64, portfolio: Portfolio?)] = [:]
        var seq: UInt64 = 0
    }

    private let state = Mutex(State())
    public let repository: any PortfolioRepository
    public let book: QuoteBook
    /// Portfolios read per page by `reload()`.
    static let reloadPage = 1_000

    public init(repository: any PortfolioRepository, book: QuoteBook) {
        self.repository = repository
        self.book = book
    }

    /// Reads every portfolio from the store, replacing what is held.
    public func reload() async throws {
        let mark = self.state.withLock { $0.seq }
        var all: [Portfolio] = []
        var after: String? = nil
        while true {
            let page = try await self.repository.portfolios(owner: nil, after: after, limit: Self.reloadPage)
            all += page
            guard page.count == Self.reloadPage, let last = page.last else { break }
            after = last.id
        }
        self.state.withLock { s in
            var next = State()
            next.seq = s.seq
            for p in all { Self.insert(p, into: &next) }
            // Edits made while the store was read win over what was read; older ones are in what was read.
            for (id, edit) in s.edits where edit.seq > mark {
                Self.remove(id, from: &next)
                if let p = edit.portfolio { Self.insert(p, into: &next) }
                next.edits[id] = edit
            }
            s = next
        }
    }

    /// Holds `portfolio` (created or updated), replacing an earlier version.
    public func remember(_ portfolio: Portfolio) {
        self.state.withLock { s in
            Self.remove(portfolio.id, from: &s)
            Self.insert(portfolio, into: &s)
            s.seq += 1
            s.edits[portfolio.id] = (s.seq, portfolio)
        }
    }

    /// Forgets a deleted portfolio.
    public func forget(id: String) {
        self.state.withLock { s in
            Self.remove(id, from: &s)
            s.seq += 1
            s.edits[id] = (s.seq, nil)
        }
    }

    /// The ids of the portfolios holding `symbol`, sorted.
    public func portfolioIds(containing symbol: String) -> [String] {
        self.state.withLock { $0.bySymbol[symbol].map { $0.sorted() } ?? [] }
    }

    /// A held portfolio.
    public func portfolio(id: String) -> Portfolio? {
        self.state.withLock { $0.portfolios[id] }
    }

    /// Every held portfolio, by id.
    public var portfolios: [Portfolio] {
        self.state.withLock { s in s.portfolios.values.sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) } }
    }

    /// The current value of a held portfolio, nil when none has that id.
    public func value(id: String) async throws -> PortfolioValue? {
        guard let portfolio = self.portfolio(id: id) else { return nil }
        return try await self.value(of: portfolio)
    }

    /// `portfolio` valued at the quote book's prices (a symbol without data has no price; a failing store throws).
    public func value(of portfolio: Portfolio) async throws -> PortfolioValue {
        var holdings: [HoldingValue] = []
        holdings.reserveCapacity(portfolio.holdings.count)
        for holding in portfolio.holdings {
            let quote: Quote?
            do {
                quote = try await self.book.quote(symbol: holding.symbol)
            } catch StorageError.notFound {
                quote = nil
            }
            holdings.append(HoldingValue(holding, quote: quote))
        }
        return PortfolioValue(portfolio: portfolio, holdings: holdings)
    }

    private static func insert(_ p: Portfolio, into s: inout State) {
        s.portfolios[p.id] = p
        for h in p.holdings { s.bySymbol[h.symbol, default: []].insert(p.id) }
    }

    private static func remove(_ id: String, from s: inout State) {
        guard let old = s.portfolios.removeValue(forKey: id) else { return }
        for h in old.holdings {
            s.bySymbol[h.symbol]?.remove(id)
            if s.bySymbol[h.symbol]?.isEmpty == true { s.bySymbol[h.symbol] = nil }
        }
    }
}
