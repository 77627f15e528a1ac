/// Streaming evaluation of a set of indicators, one bar at a time.
///
/// - `append(bar)` closes a bar: it becomes part of the history and its values are returned.
/// - `updateLast(bar)` evaluates a still-open bar (a live 1-minute bar that keeps changing) without
///   changing the history; call it as often as the bar changes, then `append` its final version when it
///   closes. N calls to `updateLast` followed by `append(final)` leave exactly the state (and return the
///   values) that `append(final)` alone would.
///
/// Values come in `columnNames` order; NaN marks a warm-up (missing) value. Each update costs O(1)
/// amortised per indicator (O(period) for CCI) and the memory is O(period). The object is not thread-safe
/// (keep it inside an actor or a single task).
public final class IndicatorStream {
    public let specs: [IndicatorSpec]
    public let columnNames: [String]
    /// The values of the last `append` / `updateLast` call.
    public private(set) var values: [Double]
    /// Number of closed bars so far.
    public private(set) var barCount = 0
    /// Time of the last closed bar.
    public private(set) var lastTimestamp: Int64?

    private var kernels: [any IndicatorKernel]
    private let widths: [Int]

    public init(_ specs: [IndicatorSpec]) {
        self.specs = specs
        columnNames = specs.flatMap(\.columnNames)
        kernels = specs.map { $0.makeKernel() }
        widths = specs.map { $0.info.outputs.count }
        values = [Double](repeating: .nan, count: columnNames.count)
    }

    /// Parses `specs` (see `IndicatorSpec.parse`).
    public convenience init(_ specs: String) throws {
        self.init(try IndicatorSpec.parse(specs))
    }

    /// Closes `bar` (it must start after the previous closed bar) and returns the values at it.
    @discardableResult
    public func append(_ bar: Bar) throws -> [Double] { try update(bar, isClosed: true) }

    /// Evaluates the still-open `bar` (it must start after the last closed bar); the history is unchanged.
    @discardableResult
    public func updateLast(_ bar: Bar) throws -> [Double] { try update(bar, isClosed: false) }

    /// `append` when `isClosed`, else `updateLast`.
    @discardableResult
    public func update(_ bar: Bar, isClosed: Bool) throws -> [Double] {
        try check(bar)
        var col = 0
        for j in kernels.indices {
            let v = kernels[j].step(bar, commit: isClosed)
            let w = widths[j]
            values[col] = v[0]
            if w > 1 {
                for o in 1..<w { values[col + o] = v[o] }
            }
            col += w
        }
        if isClosed {
            barCount += 1
            lastTimestamp = bar.ts
        }
        return values
    }

    private func check(_ bar: Bar) throws {
        let idx = barCount
        if !bar.open.isFinite { throw IndicatorError.nonFinite(field: "open", index: idx) }
        if !bar.high.isFinite { throw IndicatorError.nonFinite(field: "high", index: idx) }
        if !bar.low.isFinite { throw IndicatorError.nonFinite(field: "low", index: idx) }
        if !bar.close.isFinite { throw IndicatorError.nonFinite(field: "close", index: idx) }
        if !bar.volume.isFinite { throw IndicatorError.nonFinite(field: "volume", index: idx) }
        if let last = lastTimestamp, bar.ts <= last { throw IndicatorError.timestampsNotIncreasing(index: idx) }
    }
}
