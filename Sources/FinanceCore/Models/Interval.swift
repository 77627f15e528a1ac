/// A bar interval: a fixed number of milliseconds, or calendar weeks (Monday start) or months, all aligned to UTC.
public struct Interval: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// How an interval measures time.
    public enum Unit: Hashable, Sendable {
        case fixed(milliseconds: Int64)
        case week
        case month
    }

    public let unit: Unit
    /// The canonical name, for example `1m`, `1h`, `1d`, `1w`, `1M`.
    public let name: String

    public static let minute1 = Interval(unit: .fixed(milliseconds: 60_000), name: "1m")
    public static let minute5 = Interval(unit: .fixed(milliseconds: 300_000), name: "5m")
    public static let minute15 = Interval(unit: .fixed(milliseconds: 900_000), name: "15m")
    public static let minute30 = Interval(unit: .fixed(milliseconds: 1_800_000), name: "30m")
    public static let hour1 = Interval(unit: .fixed(milliseconds: 3_600_000), name: "1h")
    public static let hour4 = Interval(unit: .fixed(milliseconds: 14_400_000), name: "4h")
    public static let day1 = Interval(unit: .fixed(milliseconds: 86_400_000), name: "1d")
    public static let week1 = Interval(unit: .week, name: "1w")
    public static let month1 = Interval(unit: .month, name: "1M")

    /// Every interval the API accepts, finest first.
    public static let all: [Interval] = [
        .minute1, .minute5, .minute15, .minute30, .hour1, .hour4, .day1, .week1, .month1,
    ]

    /// The intervals kept as continuous aggregates (rollups) of finer stored bars.
    public static let rollups: [Interval] = [.hour1, .day1]

    /// Parses a canonical interval name (`1m`, `5m`, `15m`, `30m`, `1h`, `4h`, `1d`, `1w`, `1M`).
    public init?(_ name: String) {
        guard let match = Interval.all.first(where: { $0.name == name }) else { return nil }
        self = match
    }

    private init(unit: Unit, name: String) {
        self.unit = unit
        self.name = name
    }

    public var description: String { self.name }

    /// A length used only for ordering and ratios: weeks are 7 days, months 31 days.
    public var nominalMilliseconds: Int64 {
        switch self.unit {
        case .fixed(let ms): return ms
        case .week: return 7 * 86_400_000
        case .month: return 31 * 86_400_000
        }
    }

    /// True for intervals of one day or longer, whose bars are stamped 00:00 UTC of their date.
    public var isDailyOrLonger: Bool { self.nominalMilliseconds >= 86_400_000 }

    public static func < (lhs: Interval, rhs: Interval) -> Bool {
        lhs.nominalMilliseconds < rhs.nominalMilliseconds
    }

    /// True when every bucket of `other` is an exact union of buckets of `self`.
    public func divides(_ other: Interval) -> Bool {
        switch (self.unit, other.unit) {
        case (.fixed(let a), .fixed(let b)): return b % a == 0
        case (.fixed(let a), .week): return (7 * 86_400_000) % a == 0
        case (.fixed(let a), .month): return 86_400_000 % a == 0
        case (.week, .week), (.month, .month): return true
        case (.week, .month), (.month, .week), (.week, .fixed), (.month, .fixed): return false
        }
    }

    /// The most bars of `self` that fit into one bucket of `other` (for sizing reads).
    public func maxCount(in other: Interval) -> Int {
        Int((other.nominalMilliseconds + self.nominalMilliseconds - 1) / self.nominalMilliseconds)
    }

    /// The start of the bucket holding `ts` (milliseconds since the epoch, UTC).
    public func bucketStart(_ ts: Int64) -> Int64 {
        switch self.unit {
        case .fixed(let ms):
            return floorDiv(ts, ms) * ms
        case .week:
            // 1970-01-01 was a Thursday; Monday 1970-01-05 is day 4.
            let day = floorDiv(ts, 86_400_000)
            let weekStartDay = day - floorMod(day - 4, 7)
            return weekStartDay * 86_400_000
        case .month:
            let day = floorDiv(ts, 86_400_000)
            let civil = CivilDate(daysSinceEpoch: day)
            return CivilDate.daysSinceEpoch(year: civil.year, month: civil.month, day: 1) * 86_400_000
        }
    }

    /// The start of the bucket after the one that starts at `start`.
    public func nextBucketStart(after start: Int64) -> Int64 {
        switch self.unit {
        case .fixed(let ms): return self.bucketStart(start) + ms
        case .week: return self.bucketStart(start) + 7 * 86_400_000
        case .month:
            let civil = CivilDate(daysSinceEpoch: floorDiv(start, 86_400_000))
            let (y, m) = civil.month == 12 ? (civil.year + 1, 1) : (civil.year, civil.month + 1)
            return CivilDate.daysSinceEpoch(year: y, month: m, day: 1) * 86_400_000
        }
    }

    /// The first bucket start at or after `ts`.
    public func ceilBucketStart(_ ts: Int64) -> Int64 {
        let start = self.bucketStart(ts)
        return start == ts ? ts : self.nextBucketStart(after: start)
    }
}

@inlinable
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

@inlinable
func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
    a - floorDiv(a, b) * b
}
