import FinanceCore

/// A key point of a pattern: a bar time (ms) and a price.
public struct PatternPointDTO: Codable, Sendable, Equatable {
    public var ts: Int64
    public var price: Double
}

/// One pattern record on the wire (`GET /api/patterns`, signals, `financehub patterns --format json`).
public struct PatternDTO: Codable, Sendable, Equatable {
    public var id: String
    public var type: PatternType
    public var direction: PatternDirection
    public var start: Int64
    public var end: Int64
    public var points: [PatternPointDTO]
    public var breakout: Double
    public var target: Double
    public var confidence: Double
    public var status: PatternStatus
    public var touches: Int?
    public var strength: Double?
    public var slope: Double?

    public init(_ p: PatternDetection) {
        self.id = p.id
        self.type = p.type
        self.direction = p.direction
        self.start = p.start
        self.end = p.end
        self.points = p.points.map { PatternPointDTO(ts: $0.ts, price: $0.price) }
        self.breakout = p.breakout
        self.target = p.target
        self.confidence = p.confidence
        self.status = p.status
        self.touches = p.touches
        self.strength = p.strength
        self.slope = p.slope
    }
}

/// One anomaly on the wire (`GET /api/anomalies`, signals, `financehub anomalies --format json`).
public struct AnomalyDTO: Codable, Sendable, Equatable {
    public var type: AnomalyType
    public var ts: Int64
    public var severity: Double
    public var values: [String: Double]
    public var threshold: Double

    public init(_ a: Anomaly) {
        self.type = a.type
        self.ts = a.ts
        self.severity = a.severity
        self.values = a.values
        self.threshold = a.threshold
    }
}

/// `GET /api/patterns/{symbol}`.
public struct PatternsDTO: Codable, Sendable, Equatable {
    public var symbol: String
    public var interval: String
    public var patterns: [PatternDTO]
}

/// `GET /api/anomalies/{symbol}`.
public struct AnomaliesDTO: Codable, Sendable, Equatable {
    public var symbol: String
    public var interval: String
    public var anomalies: [AnomalyDTO]
}

/// One live signal: `{"kind": "pattern"|"anomaly", "symbol", "interval": "1m", "pattern"|"anomaly": {...}}`.
public struct SignalDTO: Codable, Sendable, Equatable {
    public var kind: AnalyticsEvent.Kind
    public var symbol: String
    public var interval: String
    public var pattern: PatternDTO?
    public var anomaly: AnomalyDTO?

    public init(_ event: AnalyticsEvent) {
        self.kind = event.kind
        self.symbol = event.symbol
        self.interval = event.interval.name
        switch event {
        case .pattern(_, _, let p): self.pattern = PatternDTO(p)
        case .anomaly(_, _, let a): self.anomaly = AnomalyDTO(a)
        }
    }
}

/// `GET /api/signals`.
public struct SignalsDTO: Codable, Sendable, Equatable {
    public var signals: [SignalDTO]
}
