/// One problem with one item of an input batch; `index` is nil for problems with the batch as a whole. A problem
/// inside a nested body (an alert's `/conditions/0/period`) carries its whole `path` instead.
public struct ValidationIssue: Hashable, Sendable, Error {
    public var index: Int?
    public var field: String
    public var detail: String
    /// The reference tokens from the body's root to the offending value (object keys and array indices), nil for
    /// the flat `index`/`field` form.
    public var path: [String]?

    public init(index: Int?, field: String, detail: String) {
        self.index = index
        self.field = field
        self.detail = detail
    }

    /// A problem at `path` inside a nested body; `field` is the last object key on the path.
    public init(path: [String], detail: String) {
        self.index = nil
        self.field = path.last { Int($0) == nil } ?? ""
        self.detail = detail
        self.path = path
    }

    /// The JSON pointer (RFC 6901) of the offending value, for example `/3/high` or `/conditions/0/period`.
    public var pointer: String {
        if let path = self.path {
            return path.map { "/" + $0.replacing("~", with: "~0").replacing("/", with: "~1") }.joined()
        }
        guard let index = self.index else { return field.isEmpty ? "" : "/\(field)" }
        return field.isEmpty ? "/\(index)" : "/\(index)/\(field)"
    }
}

/// A rejected input: every issue found, so a client can fix them all at once.
public struct ValidationError: Error, Sendable, Equatable {
    public var issues: [ValidationIssue]
    public init(_ issues: [ValidationIssue]) { self.issues = issues }
    public init(field: String, detail: String) {
        self.issues = [ValidationIssue(index: nil, field: field, detail: detail)]
    }
}

/// The rules every ingested bar and tick must satisfy.
public enum Validation {
    /// The most items one batch may hold.
    public static let maxBatchItems = 10_000
    /// The largest price, volume or size accepted, and the smallest positive price: far beyond any market, and
    /// narrow enough that every sum, ratio and product built from stored values (rollup volumes, a quote's change
    /// in %, indicators) stays a finite double.
    public static let maxValue = 1e30
    public static let minPrice = 1e-30

    /// Appends the rule violations of `bar` (at `index`) to `issues`.
    @inlinable
    public static func check(_ bar: Bar, index: Int?, into issues: inout [ValidationIssue]) {
        // The common case first, without allocation: every rule holds.
        if bar.open.isFinite, bar.high.isFinite, bar.low.isFinite, bar.close.isFinite, bar.volume.isFinite,
            bar.high >= bar.low, bar.high >= bar.open, bar.high >= bar.close, bar.low <= bar.open, bar.low <= bar.close,
            bar.volume >= 0, bar.low >= minPrice, bar.high <= maxValue, bar.volume <= maxValue,
            Timestamp.isValid(bar.ts)
        {
            return
        }
        self.describeViolations(bar, index: index, into: &issues)
    }

    @usableFromInline
    static func describeViolations(_ bar: Bar, index: Int?, into issues: inout [ValidationIssue]) {
        if !Timestamp.isValid(bar.ts) {
            issues.append(ValidationIssue(index: index, field: "ts", detail: "ts \(bar.ts) is outside years 0001–9999"))
        }
        let fields: [(String, Double)] = [
            ("open", bar.open), ("high", bar.high), ("low", bar.low), ("close", bar.close), ("volume", bar.volume),
        ]
        var finite = true
        for (name, value) in fields where !value.isFinite {
            issues.append(ValidationIssue(index: index, field: name, detail: "\(name) must be a finite number"))
            finite = false
        }
        guard finite else { return }
        if bar.high < bar.low {
            issues.append(
                ValidationIssue(index: index, field: "high", detail: "high (\(bar.high)) is below low (\(bar.low))"))
        }
        if bar.high < bar.open || bar.high < bar.close {
            issues.append(
                ValidationIssue(
                    index: index, field: "high",
                    detail: "high (\(bar.high)) is below open (\(bar.open)) or close (\(bar.close))"))
        }
        if bar.low > bar.open || bar.low > bar.close {
            issues.append(
                ValidationIssue(
                    index: index, field: "low",
                    detail: "low (\(bar.low)) is above open (\(bar.open)) or close (\(bar.close))"))
        }
        if bar.volume < 0 {
            issues.append(ValidationIssue(index: index, field: "volume", detail: "volume (\(bar.volume)) is negative"))
        }
        if bar.low <= 0 {
            // Prices must be positive: a zero or negative price is a data error in every market we carry.
            issues.append(
                ValidationIssue(index: index, field: "low", detail: "prices must be positive, low is \(bar.low)"))
        } else if bar.low < minPrice {
            issues.append(
                ValidationIssue(
                    index: index, field: "low", detail: "low (\(bar.low)) is below the smallest price, 1e-30"))
        }
        if bar.high > maxValue {
            issues.append(
                ValidationIssue(
                    index: index, field: "high", detail: "high (\(bar.high)) is above the largest price, 1e30"))
        }
        if bar.volume > maxValue {
            issues.append(
                ValidationIssue(
                    index: index, field: "volume", detail: "volume (\(bar.volume)) is above the largest volume, 1e30"))
        }
    }

    /// Appends the rule violations of `tick` (at `index`) to `issues`.
    public static func check(_ tick: Tick, index: Int?, into issues: inout [ValidationIssue]) {
        if !Timestamp.isValid(tick.ts) {
            issues.append(
                ValidationIssue(index: index, field: "ts", detail: "ts \(tick.ts) is outside years 0001–9999"))
        }
        if !tick.price.isFinite || tick.price < minPrice || tick.price > maxValue {
            issues.append(
                ValidationIssue(
                    index: index, field: "price", detail: "price must be a finite number from 1e-30 to 1e30"))
        }
        let optionals: [(String, Double?)] = [
            ("size", tick.size), ("bid", tick.bid), ("ask", tick.ask), ("bidSize", tick.bidSize),
            ("askSize", tick.askSize),
        ]
        for (name, value) in optionals {
            guard let value else { continue }
            if !value.isFinite || value < 0 || value > maxValue {
                issues.append(
                    ValidationIssue(index: index, field: name, detail: "\(name) must be a finite number from 0 to 1e30")
                )
            }
        }
        if let bid = tick.bid, let ask = tick.ask, bid.isFinite, ask.isFinite, bid > ask {
            issues.append(ValidationIssue(index: index, field: "bid", detail: "bid (\(bid)) is above ask (\(ask))"))
        }
    }

    /// Stamps `ts` as a bar of `interval` is stored: the start of its UTC day, week (Monday) or month for daily or
    /// longer bars (exchanges stamp those with a local time); nil for an intraday time that is not the start of an
    /// `interval` bucket (two such bars could share a bucket and answer differently by query).
    public static func stamp(_ ts: Int64, interval: Interval) -> Int64? {
        if interval.isDailyOrLonger { return interval.bucketStart(ts) }
        return interval.bucketStart(ts) == ts ? ts : nil
    }

    /// Sorts bars by time and reports items that share a time with different values; identical
    /// duplicates collapse into one.
    public static func sortAndDeduplicate(_ bars: [Bar], indices: [Int]? = nil) -> Result<[Bar], ValidationError> {
        // Files and batches are usually in order already: keep them as they are.
        var ascending = true
        for i in bars.indices.dropFirst() where bars[i - 1].ts >= bars[i].ts {
            ascending = false
            break
        }
        if ascending { return .success(bars) }
        var order = Array(bars.indices)
        order.sort { bars[$0].ts < bars[$1].ts || (bars[$0].ts == bars[$1].ts && $0 < $1) }
        var out: [Bar] = []
        out.reserveCapacity(bars.count)
        var issues: [ValidationIssue] = []
        var previous = -1
        for i in order {
            if previous >= 0, bars[previous].ts == bars[i].ts {
                if bars[previous] != bars[i] {
                    issues.append(
                        ValidationIssue(
                            index: indices?[i] ?? i, field: "ts",
                            detail:
                                "\(Timestamp.iso8601(bars[i].ts)) again, with values that differ from the earlier item at that time"
                        ))
                }
                continue
            }
            out.append(bars[i])
            previous = i
        }
        return issues.isEmpty ? .success(out) : .failure(ValidationError(issues))
    }
}
