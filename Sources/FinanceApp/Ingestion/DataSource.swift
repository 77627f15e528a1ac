import FinanceStorage
import Synchronization

/// Where data came from: the push API, the simulated feed, a file import, or a market-data provider by name. It
/// decides whether a quote request may ask the providers: symbols fed locally (push, simulated, import) are answered
/// from the store however old their data is.
public struct DataSource: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static let push = DataSource(rawValue: "push")
    public static let simulated = DataSource(rawValue: "simulated")
    public static let importFile = DataSource(rawValue: "import")
    public static func provider(_ name: String) -> DataSource { DataSource(rawValue: name) }

    /// True for the sources of this hub itself (push, simulated, import).
    public var isLocal: Bool { [Self.push, .simulated, .importFile].contains(self) }

    public var description: String { self.rawValue }
}

/// The recorded source of each symbol, read from the assets on first use and kept in memory, so that a quote
/// request costs no database read for it. The ingestor records what it writes (a database write only when a
/// symbol's source changes). Another instance's change is seen after a restart; sources rarely change.
public final class DataSourceLedger: Sendable {
    private let assets: any AssetRepository
    private let known = Mutex([String: DataSource?]())
    /// The most symbols held (the least recently recorded ones go first beyond it).
    public let capacity: Int

    public init(assets: any AssetRepository, capacity: Int = 100_000) {
        self.assets = assets
        self.capacity = max(1, capacity)
    }

    /// The source of `symbol`'s latest data, nil when none was recorded.
    public func source(of symbol: String) async throws -> DataSource? {
        if let held = self.known.withLock({ $0[symbol] }) { return held }
        let read = try await self.assets.source(of: symbol).map(DataSource.init(rawValue:))
        self.remember([symbol: read])
        return read
    }

    /// Records that `symbols` were just written from `source`.
    public func record(_ source: DataSource, symbols: [String]) async throws {
        let changed = self.known.withLock { known in symbols.filter { known[$0] != .some(source) } }
        guard !changed.isEmpty else { return }
        try await self.assets.recordSource(source.rawValue, symbols: changed)
        self.remember(Dictionary(changed.map { ($0, source) }, uniquingKeysWith: { a, _ in a }))
    }

    /// Forgets a symbol (its asset was deleted).
    public func forget(_ symbol: String) { _ = self.known.withLock { $0.removeValue(forKey: symbol) } }

    private func remember(_ entries: [String: DataSource?]) {
        self.known.withLock { known in
            if known.count + entries.count > self.capacity { known.removeAll(keepingCapacity: true) }
            known.merge(entries) { _, new in new }
        }
    }
}
