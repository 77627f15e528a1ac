import FinanceApp
import FinanceCore

/// `GET /api/sectors`: every sector with a member, by name.
public struct SectorListDTO: Codable, Sendable, Equatable {
    public var items: [SectorDTO]
}

/// One sector: its members' weighted mean change in percent over 1 day and 1 week (absent when no member has the
/// data), `equal`- or `value`-weighted (by market cap, when every member has one).
public struct SectorDTO: Codable, Sendable, Equatable {
    public var name: String
    public var change1d: Double?
    public var change1w: Double?
    public var weighting: String
    public var members: [SectorMemberDTO]

    public init(_ report: SectorPerformanceReport) {
        self.name = report.name
        self.change1d = report.change1d
        self.change1w = report.change1w
        self.weighting = report.weighting.rawValue
        self.members = report.members.map(SectorMemberDTO.init)
    }
}

/// One member of a sector with its own figures (changes in percent).
public struct SectorMemberDTO: Codable, Sendable, Equatable {
    public var symbol: String
    public var name: String?
    public var assetClass: AssetClass
    public var marketCap: Double?
    public var price: Double?
    public var change1d: Double?
    public var change1w: Double?

    public init(_ m: SectorMemberPerformance) {
        self.symbol = m.asset.symbol
        self.name = m.asset.name
        self.assetClass = m.asset.assetClass
        self.marketCap = m.asset.marketCap
        self.price = m.price
        self.change1d = m.change1d
        self.change1w = m.change1w
    }
}
