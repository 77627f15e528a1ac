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

    private let nodes: [StreamNode]
    // Hot mutable state lives behind pointers: no copy-on-write or dynamic exclusivity checks per update.
    private let out: UnsafeMutablePointer<Double>
    private let state: UnsafeMutablePointer<(bars: Int, lastTs: Int64)>

    public init(_ specs: [IndicatorSpec]) {
        self.specs = specs
        columnNames = specs.flatMap(\.columnNames)
        nodes = specs.map { StreamNode($0) }
        out = .allocate(capacity: max(columnNames.count, 1))
        out.initialize(repeating: .nan, count: max(columnNames.count, 1))
        state = .allocate(capacity: 1)
        state.initialize(to: (0, Int64.min))
    }

    deinit {
        out.deallocate()
        state.deallocate()
    }

    /// Parses `specs` (see `IndicatorSpec.parse`).
    public convenience init(_ specs: String) throws {
        self.init(try IndicatorSpec.parse(specs))
    }

    /// Number of closed bars so far.
    public var barCount: Int { state.pointee.bars }

    /// Time of the last closed bar.
    public var lastTimestamp: Int64? { state.pointee.bars == 0 ? nil : state.pointee.lastTs }

    /// The values of the last update, in `columnNames` order (NaN = missing).
    public var values: [Double] { Array(UnsafeBufferPointer(start: out, count: columnNames.count)) }

    /// The value of column `index` after the last update (no allocation).
    public subscript(index: Int) -> Double {
        precondition(index >= 0 && index < columnNames.count, "column index out of range")
        return out[index]
    }

    /// Closes `bar` (it must start after the previous closed bar) and returns the values at it.
    @discardableResult
    public func append(_ bar: Bar) throws -> [Double] {
        try push(bar, isClosed: true)
        return values
    }

    /// Evaluates the still-open `bar` (it must start after the last closed bar); the history is unchanged.
    @discardableResult
    public func updateLast(_ bar: Bar) throws -> [Double] {
        try push(bar, isClosed: false)
        return values
    }

    /// `append` when `isClosed`, else `updateLast`.
    @discardableResult
    public func update(_ bar: Bar, isClosed: Bool) throws -> [Double] {
        try push(bar, isClosed: isClosed)
        return values
    }

    /// Like `update(_:isClosed:)` without building the result array; read the values with `self[i]`.
    public func push(_ bar: Bar, isClosed: Bool) throws {
        try check(bar)
        let out = self.out
        nodes.withUnsafeBufferPointer { nodes in
            var col = 0
            for j in 0..<nodes.count {
                let v = nodes[j].step(bar, isClosed)
                out[col] = v[0]
                let w = nodes[j].width
                if w > 1 {
                    for o in 1..<w { out[col + o] = v[o] }
                }
                col += w
            }
        }
        if isClosed {
            state.pointee.bars += 1
            state.pointee.lastTs = bar.ts
        }
    }

    @inline(__always)
    private func check(_ bar: Bar) throws {
        let st = state.pointee
        // One combined test on the hot path; the detailed error is built only on failure.
        if (bar.open + bar.high + bar.low + bar.close + bar.volume).isFinite && (st.bars == 0 || bar.ts > st.lastTs) {
            return
        }
        let idx = st.bars
        for (name, v) in [
            ("open", bar.open), ("high", bar.high), ("low", bar.low), ("close", bar.close), ("volume", bar.volume),
        ]
        where !v.isFinite {
            throw IndicatorError.nonFinite(field: name, index: idx)
        }
        if st.bars > 0 && bar.ts <= st.lastTs { throw IndicatorError.timestampsNotIncreasing(index: idx) }
        // Finite values whose sum overflows: accepted.
    }
}

/// Owns one kernel at a stable address (no copy-on-write, no exclusivity checks on the hot path).
final class KernelStorage<K: IndicatorKernel> {
    let pointer: UnsafeMutablePointer<K>
    init(_ kernel: K) {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: kernel)
    }
    deinit {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }
}

/// A type-erased kernel: a closure specialised for its concrete kernel type.
struct StreamNode {
    let width: Int
    let step: (Bar, Bool) -> IndicatorValues

    static func make<K: IndicatorKernel>(_ kernel: K) -> (Bar, Bool) -> IndicatorValues {
        let storage = KernelStorage(kernel)
        let p = storage.pointer
        return { bar, commit in
            withExtendedLifetime(storage) { p.pointee.step(bar, commit: commit) }
        }
    }

    init(_ spec: IndicatorSpec) {
        width = spec.info.outputs.count
        let d = spec.parameters
        let i0 = spec.int(0)
        switch spec.kind {
        case .sma: step = Self.make(SMAKernel(i0))
        case .ema: step = Self.make(EMAKernel(i0))
        case .wma: step = Self.make(WMAKernel(i0))
        case .dema: step = Self.make(DEMAKernel(i0))
        case .tema: step = Self.make(TEMAKernel(i0))
        case .rsi: step = Self.make(RSIKernel(i0))
        case .macd: step = Self.make(MACDKernel(fast: i0, slow: spec.int(1), signal: spec.int(2)))
        case .bbands: step = Self.make(BBandsKernel(i0, dev: d[1]))
        case .stoch: step = Self.make(StochKernel(fastK: i0, slowK: spec.int(1), slowD: spec.int(2)))
        case .willr: step = Self.make(WillRKernel(i0))
        case .atr: step = Self.make(ATRKernel(i0))
        case .natr: step = Self.make(ATRKernel(i0, normalized: true))
        case .obv: step = Self.make(OBVKernel())
        case .cci: step = Self.make(CCIKernel(i0))
        case .adx: step = Self.make(ADXKernel(i0))
        case .plusDI: step = Self.make(DIKernel(i0, plus: true))
        case .minusDI: step = Self.make(DIKernel(i0, plus: false))
        case .mfi: step = Self.make(MFIKernel(i0))
        case .roc: step = Self.make(ChangeKernel(i0, ratio: true))
        case .mom: step = Self.make(ChangeKernel(i0, ratio: false))
        case .stochrsi: step = Self.make(StochRSIKernel(i0, fastK: spec.int(1), fastD: spec.int(2)))
        case .aroon: step = Self.make(AroonKernel(i0))
        case .sar: step = Self.make(SARKernel(acceleration: d[0], maximum: d[1]))
        case .keltner: step = Self.make(KeltnerKernel(i0, atr: spec.int(1), mult: d[2]))
        case .donchian: step = Self.make(DonchianKernel(i0))
        case .vwap: step = Self.make(VWAPKernel())
        case .ichimoku: step = Self.make(IchimokuKernel(i0, spec.int(1), spec.int(2)))
        }
    }
}
