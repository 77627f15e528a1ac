import FinanceCore
import FinanceStorage

/// One sector member's figures; changes are in percent, nil when the member lacks the prices they need.
public struct SectorMemberPerformance: Sendable, Equatable {
    public var asset: Asset
    /// The last price.
    public var price: Double?
    /// Against the previous UTC day's close.
    public var change1d: Double?
    /// Against the close of the last UTC day that started at least 7 days before the price's day.
    public var change1w: Double?
}

/// One sector's figures: the weighted mean of its members' changes (over the members that have one), equal-weighted
/// or, when every member has a market cap, value-weighted.
public struct SectorPerformanceReport: Sendable, Equatable {
    public var name: String
    public var change1d: Double?
    public var change1w: Double?
    public var weighting: SectorWeighting
    /// By symbol.
    public var members: [SectorMemberPerformance]

    public init(name: String, weighting: SectorWeighting, members: [SectorMemberPerformance]) {
        self.name = name
        self.weighting = weighting
        self.members = members
        self.change1d = Self.mean(members, weighting, \.change1d)
        self.change1w = Self.mean(members, weighting, \.change1w)
    }

    static func mean(
        _ members: [SectorMemberPerformance], _ weighting: SectorWeighting,
        _ change: KeyPath<SectorMemberPerformance, Double?>
    ) -> Double? {
        var sum = 0.0
        var weights = 0.0
        for m in members {
            guard let c = m[keyPath: change] else { continue }
            let w = weighting.weight(of: m.asset)
            sum += w * c
            weights += w
        }
        return weights > 0 ? sum / weights : nil
    }
}

/// `GET /api/sectors`: every sector's 1-day and 1-week change from the quote book (last price, previous close)
/// and the stored daily bars (the close a week back).
public struct SectorPerformance: Sendable {
    public let assets: any AssetRepository
    public let book: QuoteBook
    public let barQueries: BarQueryService
    public let clock: any WallClock

    public init(assets: any AssetRepository, book: QuoteBook, barQueries: BarQueryService, clock: any WallClock) {
        self.assets = assets
        self.book = book
        self.barQueries = barQueries
        self.clock = clock
    }

    /// Every sector with at least one member, by name.
    public func sectors() async throws -> [SectorPerformanceReport] {
        let grouped = try await self.assets.assets().groupedBySector()
        var out: [SectorPerformanceReport] = []
        for name in grouped.keys.sorted() {
            let members = grouped[name] ?? []
            var performances: [SectorMemberPerformance] = []
            for asset in members { performances.append(try await self.member(asset)) }
            out.append(
                SectorPerformanceReport(name: name, weighting: .of(members), members: performances))
        }
        return out
    }

    static let week: Int64 = 7 * 86_400_000

    /// One member's price and changes (nil where its data does not reach).
    func member(_ asset: Asset) async throws -> SectorMemberPerformance {
        var result = SectorMemberPerformance(asset: asset)
        let quote: Quote
        do {
            quote = try await self.book.quote(symbol: asset.symbol)
        } catch StorageError.notFound {
            return result
        }
        result.price = quote.price
        result.change1d = quote.changePercent
        let dayStart = Interval.day1.bucketStart(quote.ts)
        let weekBack: [Bar]
        do {
            weekBack = try await self.barQueries.bars(
                symbol: asset.symbol, interval: .day1, from: nil, to: dayStart - Self.week, limit: 1,
                now: max(self.clock.nowMilliseconds(), quote.ts + 1))
        } catch is ValidationError {
            // Only weekly or monthly bars: nothing divides a day.
            return result
        } catch StorageError.notFound {
            return result
        }
        if let close = weekBack.last?.close, close > 0 {
            result.change1w = (quote.price - close) / close * 100
        }
        return result
    }
}
