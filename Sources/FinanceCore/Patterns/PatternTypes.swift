/// Chart-pattern kinds, with the JSON names used by the CLI and the HTTP API.
public enum PatternType: String, Codable, Sendable, CaseIterable, Hashable, CommaSeparatedNames {
    case headAndShoulders = "head_and_shoulders"
    case inverseHeadAndShoulders = "inverse_head_and_shoulders"
    case doubleTop = "double_top"
    case doubleBottom = "double_bottom"
    case ascendingTriangle = "ascending_triangle"
    case descendingTriangle = "descending_triangle"
    case symmetricalTriangle = "symmetrical_triangle"
    case bullFlag = "bull_flag"
    case bearFlag = "bear_flag"
    case bullPennant = "bull_pennant"
    case bearPennant = "bear_pennant"
    case risingWedge = "rising_wedge"
    case fallingWedge = "falling_wedge"
    case support
    case resistance
    case trendLine = "trend_line"
    case channelUp = "channel_up"
    case channelDown = "channel_down"
    case channelHorizontal = "channel_horizontal"
    case cupAndHandle = "cup_and_handle"

    /// Support, resistance and trend lines: single lines built from touches rather than closed shapes.
    public var isLine: Bool { self == .support || self == .resistance || self == .trendLine }

    /// The position of this type in `allCases`.
    var index: Int { Self.allCases.firstIndex(of: self)! }
}

/// The expected direction of the move that follows a pattern.
public enum PatternDirection: String, Codable, Sendable, Hashable {
    case bullish, bearish, neutral
}

/// The life cycle of a detection. Records with `completed`, `confirmed` or `failed` are final snapshots;
/// only `forming` records may change or disappear.
public enum PatternStatus: String, Codable, Sendable, Hashable, CaseIterable, CommaSeparatedNames {
    /// The shape is partly there (the last turning point is not yet confirmed).
    case forming
    /// The shape is complete; no breakout yet.
    case completed
    /// A close went beyond the breakout level in the pattern's direction (for levels and lines: the level broke).
    case confirmed
    /// The pattern was invalidated (a close beyond the opposite boundary) or no breakout came in time.
    case failed

    var rank: Int {
        switch self {
        case .forming: return 0
        case .completed: return 1
        case .confirmed, .failed: return 2
        }
    }
}

/// A key point of a pattern: a bar time (ms) and a price.
public struct PatternPoint: Sendable, Hashable {
    public var ts: Int64
    public var price: Double
    public init(ts: Int64, price: Double) {
        self.ts = ts
        self.price = price
    }
}

/// One append-only record of a detected pattern, with `touches`, `strength` and `slope` for support, resistance,
/// trend lines and channels.
public struct PatternDetection: Sendable, Hashable {
    /// Stable across the records of one pattern: `<type>:<start ms>:<first key point ms>:<scale>`.
    public var id: String
    public var type: PatternType
    public var direction: PatternDirection
    /// Time (ms) of the first key point.
    public var start: Int64
    /// Time (ms) of the bar at which the record reached its status (the bar it was reported at).
    public var end: Int64
    public var points: [PatternPoint]
    /// The breakout level (neckline, boundary line value or level) at `end`.
    public var breakout: Double
    /// The measured-move target: breakout ± the pattern's height (pole for flags, depth for cups).
    public var target: Double
    /// How closely the shape matches the ideal, in [0, 1]: 1 − the mean share of each tolerance used
    /// (see docs/patterns.md). A ranking score, not a calibrated probability.
    public var confidence: Double
    public var status: PatternStatus
    /// Number of turning points on the level or line (levels, lines, channels).
    public var touches: Int?
    /// Level or line strength: touches × (1 − mean distance of the touches from the line / tolerance).
    public var strength: Double?
    /// Slope in price per bar (lines and channels; 0 for horizontal levels).
    public var slope: Double?

    public init(
        id: String, type: PatternType, direction: PatternDirection, start: Int64, end: Int64, points: [PatternPoint],
        breakout: Double, target: Double, confidence: Double, status: PatternStatus, touches: Int? = nil,
        strength: Double? = nil, slope: Double? = nil
    ) {
        self.id = id
        self.type = type
        self.direction = direction
        self.start = start
        self.end = end
        self.points = points
        // Clamped to the largest finite double (a target beyond it, from prices near it), so records encode as JSON.
        self.breakout = breakout.jsonFinite ?? 0
        self.target = target.jsonFinite ?? breakout.jsonFinite ?? 0
        self.confidence = confidence
        self.status = status
        self.touches = touches
        self.strength = strength.flatMap(\.jsonFinite)
        self.slope = slope.flatMap(\.jsonFinite)
    }
}

/// Detector settings. The defaults are the ones documented and benchmarked in docs/patterns.md.
public struct PatternOptions: Sendable, Hashable {
    /// Pattern types to report (all are still computed, so results do not depend on this filter).
    public var types: Set<PatternType> = Set(PatternType.allCases)
    /// Report `forming` records (transient; see `PatternStream.forming`).
    public var includeForming: Bool = true
    /// Wilder ATR period used to scale the zigzag threshold and the tolerances.
    public var atrPeriod: Int = 14
    /// The zigzag scales scanned independently (threshold in ATR multiples, smoothing half-width). The second,
    /// finer scale finds the small late swings of pennants, wedges and triangles that the first one merges; a
    /// region keeps the first chart pattern completed in it (any scale). Levels and lines use `levelScale`.
    public var scales: [PatternScale] = [
        PatternScale(threshold: 1.0, smoothing: 1), PatternScale(threshold: 0.8, smoothing: 1),
    ]
    /// The zigzag of support, resistance and trend lines (their touches): smoother than the chart scales, whose
    /// finer turning points add touches that are noise.
    public var levelScale = PatternScale(threshold: 1.0, smoothing: 2)
    /// Longest pattern, in bars, from first key point to completion.
    public var maxPatternBars: Int = 250
    /// Tolerance for level and line touches, in ATR multiples.
    public var lineTolerance: Double = 0.6
    /// Chart patterns must span at least this many ATRs (highest minus lowest key point).
    public var minRangeATR: Double = 3.0
    /// Tolerance for trend-line touches, in ATR multiples.
    public var trendLineTolerance: Double = 0.4
    /// Support, resistance and trend lines: price must move at least this many ATRs away from the line between
    /// consecutive touches.
    public var minSwingATR: Double = 3.0
    /// Minimum touches for support, resistance and trend lines.
    public var minTouches: Int = 3
    /// Shapes whose confidence is below this (per type; absent = 0) are not reported. The defaults keep the types
    /// where, on the labeled benchmark, confidence separates true from false detections at several noise levels
    /// (docs/patterns.md, "Minimum confidence"); set an entry to 0 to see every shape of that type.
    public var minConfidence: [PatternType: Double] = Self.defaultMinConfidence
    /// The learned screen of finished shapes (`PatternScreen`; docs/patterns.md, "Learned screen"): a shape it
    /// rejects is not reported and does not claim its region. nil reports every shape the rules accept.
    public var screen: PatternScreen? = .trained
    /// How patterns, levels and lines are found: template matching by default; `.rules` (turning points and shape
    /// rules) is about 15 times faster, for fast screening (docs/patterns.md).
    public var method: PatternMethod = .templates
    /// Template matching: the least model probability a window needs to be reported, for every type (chart
    /// patterns, levels and lines); nil: each type's own (`PatternOptions.templateThresholds`, chosen on held-out
    /// benchmark seeds).
    public var templateThreshold: Double? = nil
    /// Template matching: a window is decided this many bars after its last bar (when no overlapping window seen
    /// by then is more probable), so its record ends that much later (0–1000).
    public var templateLag: Int = 6
    /// Template matching: a chart window whose template fits with residuals of at most this share of its height is
    /// reported whatever the model says (a textbook fit, confidence 1 − that share; docs/patterns.md, "Textbook
    /// fits"). 0 turns textbook fits off.
    public var textbookNoise: Double = 0.05

    /// Template matching: each type's least probability. Chosen on seeds 15–18 (neither training nor published
    /// seeds): for each type, the one of 0.3, 0.35, … 0.9 with the best F1 over the four seeds' detections pooled in
    /// `financehub bench patterns --seed S --method templates --template-threshold T` (docs/patterns.md).
    public static let templateThresholds: [PatternType: Double] = [
        .headAndShoulders: 0.8, .inverseHeadAndShoulders: 0.85, .doubleTop: 0.7, .doubleBottom: 0.65,
        .ascendingTriangle: 0.55, .descendingTriangle: 0.6, .symmetricalTriangle: 0.6, .bullFlag: 0.7,
        .bearFlag: 0.7, .bullPennant: 0.75, .bearPennant: 0.65, .risingWedge: 0.8, .fallingWedge: 0.7,
        .support: 0.8, .resistance: 0.85, .trendLine: 0.6, .channelUp: 0.85, .channelDown: 0.85,
        .channelHorizontal: 0.6, .cupAndHandle: 0.8,
    ]

    /// The default `minConfidence`.
    public static let defaultMinConfidence: [PatternType: Double] = [
        .headAndShoulders: 0.7, .inverseHeadAndShoulders: 0.7, .symmetricalTriangle: 0.4,
        .ascendingTriangle: 0.3, .descendingTriangle: 0.3,
    ]

    public init() {}

    /// The defaults with `method = .rules` (the rules' diagnostics and the screen's training use it).
    public static var rules: PatternOptions {
        var o = PatternOptions()
        o.method = .rules
        return o
    }
}

/// One zigzag scale: a reversal of `threshold` × ATR on the centred moving average of 2·`smoothing`+1 closes
/// confirms a turning point (a turning point at bar i is known at the earliest at bar i + smoothing).
public struct PatternScale: Sendable, Hashable {
    public var threshold: Double
    public var smoothing: Int
    public init(threshold: Double, smoothing: Int) {
        self.threshold = threshold
        self.smoothing = max(0, smoothing)
    }
}
