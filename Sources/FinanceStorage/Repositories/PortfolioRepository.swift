import FinanceCore

/// Users' portfolios (cash and holdings) and their value history, shared by every instance on one database.
public protocol PortfolioRepository: Sendable {
    /// Creates a portfolio with its holdings (their symbols distinct: the caller checks); throws
    /// `StorageError.conflict` if the id exists.
    func createPortfolio(_ portfolio: Portfolio) async throws
    /// One portfolio; throws `StorageError.notFound`.
    func portfolio(id: String) async throws -> Portfolio
    /// Portfolios ordered by id (bytewise), of one owner or of every owner (`owner` nil), with ids after `after`,
    /// at most `limit`: a page; the last id is the cursor of the next one.
    func portfolios(owner: String?, after: String?, limit: Int) async throws -> [Portfolio]
    /// Replaces a portfolio's name, cash and holdings (its owner and `createdAt` stay); throws
    /// `StorageError.notFound`.
    func updatePortfolio(_ portfolio: Portfolio) async throws
    /// Deletes a portfolio with its holdings and value history; throws `StorageError.notFound`.
    func deletePortfolio(id: String) async throws
    /// Stores value snapshots; one at the same (portfolio, ts) replaces it, one of a portfolio that does not exist
    /// (deleted meanwhile) is skipped.
    func appendPortfolioSnapshots(_ snapshots: [PortfolioSnapshot]) async throws
    /// A portfolio's snapshots with `from <= ts < to`, oldest first, at most `limit`.
    func portfolioSnapshots(id: String, from: Int64, to: Int64, limit: Int) async throws -> [PortfolioSnapshot]
}
