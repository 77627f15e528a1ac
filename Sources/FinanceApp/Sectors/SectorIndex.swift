import FinanceCore
import FinanceStorage
import Synchronization

/// Each sector's live index level, for the alert engine's `sector_move` conditions: the weighted mean (equal, or
/// by market cap when every member has one) of each member's price relative to its base (its first price seen by
/// this process), times a scale. When a member starts or stops counting (its first price, a membership change)
/// the scale is reset so the level carries on where it was (chain-linking), so moves compare across such changes.
/// Levels are comparable within one process's lifetime.
///
/// Prices come from the market bus (live ticks, and the close of live bars), observed synchronously like the quote
/// book; members and their first prices come from the assets and the quote book on `reload()`.
public final class SectorIndex: Sendable {
    struct Member {
        var weight: Double
        var base: Double?
        var price: Double?
        /// weight × price / base, when priced.
        var term: Double? {
            guard let base, let price, base > 0 else { return nil }
            return self.weight * price / base
        }
    }

    struct Sector {
        var members: [String: Member] = [:]
        var weighting = SectorWeighting.equal
        /// Σ term and Σ weight over the priced members.
        var sum = 0.0
        var weights = 0.0
        var scale = 100.0

        var level: Double? { self.weights > 0 ? self.scale * self.sum / self.weights : nil }

        /// Recomputes the sums exactly, keeping the level where it was.
        mutating func relink() {
            let before = self.level
            self.sum = 0
            self.weights = 0
            for member in self.members.values {
                if let term = member.term {
                    self.sum += term
                    self.weights += member.weight
                }
            }
            if let before, self.weights > 0, self.sum > 0 {
                self.scale = before * self.weights / self.sum
            } else if before == nil {
                self.scale = 100
            }
        }
    }

    struct State {
        var sectors: [String: Sector] = [:]
        var sectorsOf: [String: [String]] = [:]
    }

    private let state = Mutex(State())
    private let assets: any AssetRepository
    private let book: QuoteBook

    /// An index over `assets`' sectors that follows `bus`; call `reload()` to read the members.
    public init(assets: any AssetRepository, book: QuoteBook, bus: any MarketBus) {
        self.assets = assets
        self.book = book
        bus.observe { [weak self] messages in self?.apply(messages) }
    }

    /// Reads the sectors' members from the assets again. A member keeps the price the index has for it (in any
    /// sector); one without a price yet takes the quote book's.
    public func reload() async throws {
        let grouped = try await self.assets.assets().groupedBySector()
        let held = self.state.withLock { Self.prices($0) }
        var fetched: [String: Double] = [:]
        for symbol in Set(grouped.values.joined().map(\.symbol)) where held[symbol] == nil {
            do {
                fetched[symbol] = try await self.book.quote(symbol: symbol).price
            } catch StorageError.notFound {
                continue
            }
        }
        self.state.withLock { s in
            // Ticks may have come in while the book was read: the held prices are the newest.
            let prices = fetched.merging(Self.prices(s)) { _, held in held }
            var sectorsOf: [String: [String]] = [:]
            var sectors: [String: Sector] = [:]
            for (name, members) in grouped {
                var sector = s.sectors[name] ?? Sector()
                let weighting = SectorWeighting.of(members)
                var next: [String: Member] = [:]
                for asset in members {
                    var member = sector.members[asset.symbol] ?? Member(weight: 1)
                    member.weight = weighting.weight(of: asset)
                    if member.price == nil { member.price = prices[asset.symbol] }
                    if member.base == nil { member.base = member.price }
                    next[asset.symbol] = member
                    sectorsOf[asset.symbol, default: []].append(name)
                }
                sector.members = next
                sector.weighting = weighting
                sector.relink()
                sectors[name] = sector
            }
            s.sectors = sectors
            s.sectorsOf = sectorsOf.mapValues { $0.sorted() }
        }
    }

    /// The last price the index holds for each symbol.
    private static func prices(_ s: State) -> [String: Double] {
        var out: [String: Double] = [:]
        for sector in s.sectors.values {
            for (symbol, member) in sector.members {
                if let price = member.price { out[symbol] = price }
            }
        }
        return out
    }

    /// The sectors `symbol` counts in (at most one today: an asset has one sector).
    public func sectors(of symbol: String) -> [String] {
        self.state.withLock { $0.sectorsOf[symbol] ?? [] }
    }

    /// Every sector's name, sorted.
    public var sectorNames: [String] { self.state.withLock { $0.sectors.keys.sorted() } }

    /// The live level of `sector`, nil when it is unknown or none of its members has a price.
    public func level(of sector: String) -> Double? {
        self.state.withLock { $0.sectors[sector]?.level }
    }

    /// The weighting `sector` uses, nil when unknown.
    public func weighting(of sector: String) -> SectorWeighting? {
        self.state.withLock { $0.sectors[sector]?.weighting }
    }

    /// Applies live prices from one published batch (history never moves the index).
    func apply(_ messages: [MarketMessage]) {
        self.state.withLock { s in
            guard !s.sectorsOf.isEmpty else { return }
            for message in messages where message.freshness == .live {
                let symbol = message.event.symbol
                guard let names = s.sectorsOf[symbol] else { continue }
                let price: Double
                switch message.event {
                case .tick(let tick): price = tick.price
                case .bar(_, _, let bar, _): price = bar.close
                }
                for name in names { Self.update(&s.sectors[name], symbol: symbol, price: price) }
            }
        }
    }

    private static func update(_ sector: inout Sector?, symbol: String, price: Double) {
        guard var member = sector?.members[symbol], price > 0, price.isFinite else { return }
        if let old = member.term {
            member.price = price
            sector?.members[symbol] = member
            sector?.sum += (member.term ?? 0) - old
        } else {
            // Its first price: it starts counting, the level carries on.
            member.price = price
            if member.base == nil { member.base = price }
            sector?.members[symbol] = member
            sector?.relink()
        }
    }
}
