import FinanceCore

/// How a sector's members weigh in its figures.
public enum SectorWeighting: String, Sendable, Equatable, Codable {
    /// Every member counts the same.
    case equal
    /// Members count by market cap: used when every member has one.
    case value

    /// The weighting of a sector with `members`: by value when each has a positive market cap.
    public static func of(_ members: [Asset]) -> SectorWeighting {
        members.allSatisfy({ ($0.marketCap ?? 0) > 0 }) && !members.isEmpty ? .value : .equal
    }

    /// The weight of `asset` under this weighting.
    public func weight(of asset: Asset) -> Double {
        self == .value ? asset.marketCap ?? 0 : 1
    }
}

extension Sequence where Element == Asset {
    /// The assets by the sector they count in (`Asset.sectorName`), each list ordered by symbol; assets without a
    /// sector are left out.
    public func groupedBySector() -> [String: [Asset]] {
        var out: [String: [Asset]] = [:]
        for asset in self {
            if let name = asset.sectorName { out[name, default: []].append(asset) }
        }
        for name in out.keys { out[name]?.sort { $0.symbol < $1.symbol } }
        return out
    }
}
