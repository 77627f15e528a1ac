import FinanceCore

/// The assets (instruments) the hub knows. Symbols given to a repository are already canonical.
public protocol AssetRepository: Sendable {
    /// Every asset, ordered by symbol.
    func assets() async throws -> [Asset]
    /// One asset; throws `StorageError.notFound`.
    func asset(_ symbol: String) async throws -> Asset
    /// Creates an asset; throws `StorageError.conflict` if the symbol exists.
    func createAsset(_ asset: Asset) async throws
    /// Replaces an asset's fields; throws `StorageError.notFound`.
    func updateAsset(_ asset: Asset) async throws
    /// Deletes an asset with its bars, rollups and ticks; throws `StorageError.notFound`.
    func deleteAsset(_ symbol: String) async throws
    /// Records where the latest data of `symbols` came from (`push`, `simulated`, `import` or a provider's name);
    /// symbols without an asset are skipped.
    func recordSource(_ source: String, symbols: [String]) async throws
    /// Where the latest data of `symbol` came from, nil when nothing was recorded (or there is no asset).
    func source(of symbol: String) async throws -> String?
}
