import FinanceCore
import FinanceProviders

/// Settings of the circuit breakers (`providers.circuit.*`).
public struct CircuitSettings: Sendable, Equatable {
    /// Consecutive failures that open the circuit.
    public var consecutiveFailures: Int
    /// An error rate above this over the last `window` requests opens the circuit.
    public var errorRate: Double
    public var window: Int
    /// The first back-off (ms), doubling on each reopening up to `maxBackoff`.
    public var backoff: Int64
    public var maxBackoff: Int64
    /// Outcomes older than this (ms) no longer count, so a provider that was routed around recovers its score.
    public var memory: Int64

    public init(
        consecutiveFailures: Int = 5, errorRate: Double = 0.5, window: Int = 20, backoff: Int64 = 30_000,
        maxBackoff: Int64 = 600_000, memory: Int64 = 300_000
    ) {
        self.consecutiveFailures = max(1, consecutiveFailures)
        self.errorRate = errorRate
        self.window = max(1, window)
        self.backoff = max(1, backoff)
        self.maxBackoff = max(self.backoff, maxBackoff)
        self.memory = max(1, memory)
    }
}

/// One provider's recent outcomes, circuit and score.
///
/// The circuit opens after `consecutiveFailures` failures in a row, or when more than `errorRate` of the last
/// `window` requests failed (once `window` requests were seen); it stays open for a back-off (30 s doubling to
/// 10 min), then lets one request through as a half-open probe: its success closes the circuit (and resets the
/// back-off), its failure reopens it. Failures are the provider's faults: timeouts, 5xx, network errors and
/// unreadable answers. Rate limits and key rejections concern a key (the key pool handles them); unknown symbols
/// and plan restrictions are answers.
///
/// The score in [0, 100] is `100 × s × l × (0.5 + 0.5 × h)`: `s` the success ratio of the last `window` requests of
/// the last 5 minutes (`memory`; 1 without any, so that a provider routed around for a while is tried again), `l` a latency factor (1 up to a p95 of 1 s over the last 50 requests, falling linearly to 0.5 at
/// 5 s), `h` the share of the provider's keys usable now (headroom). An open circuit scores 0, a half-open one at
/// most 25.
public struct ProviderHealth: Sendable {
    public enum Circuit: Sendable, Equatable {
        case closed
        case open(until: Int64)
        case halfOpen(probing: Bool)

        public var name: String {
            switch self {
            case .closed: return "closed"
            case .open: return "open"
            case .halfOpen: return "half_open"
            }
        }
    }

    /// Whether a request may go to the provider now.
    public enum Permit: Sendable, Equatable {
        case allowed
        /// The one half-open probe: its outcome decides the circuit.
        case probe
        case denied(until: Int64)
    }

    public let settings: CircuitSettings
    public private(set) var circuit = Circuit.closed
    private var recent: [(at: Int64, failed: Bool)] = []
    private var latencies: [Double] = []
    private var consecutive = 0
    private var backoff: Int64
    /// The current minute's counts, for the health history.
    public private(set) var minute: Int64?
    public private(set) var minuteRequests = 0
    public private(set) var minuteFailures = 0
    private var minuteLatencies: [Double] = []

    public init(settings: CircuitSettings = CircuitSettings()) {
        self.settings = settings
        self.backoff = settings.backoff
    }

    /// Whether a request may go now; an open circuit past its back-off turns half-open and grants one probe.
    public mutating func permit(now: Int64) -> Permit {
        switch self.circuit {
        case .closed: return .allowed
        case .open(let until):
            guard now >= until else { return .denied(until: until) }
            self.circuit = .halfOpen(probing: true)
            return .probe
        case .halfOpen(let probing):
            if probing { return .denied(until: now + 1_000) }
            self.circuit = .halfOpen(probing: true)
            return .probe
        }
    }

    /// Records a request's outcome (`nil` latency for a request that never got an answer).
    public mutating func record(_ outcome: ProviderOutcome, latencyMs: Double?, now: Int64) {
        let failed = Self.isFailure(outcome)
        let counted = outcome != .rateLimited && outcome != .auth
        let minute = Interval.minute1.bucketStart(now)
        if self.minute != minute {
            self.minute = minute
            self.minuteRequests = 0
            self.minuteFailures = 0
            self.minuteLatencies = []
        }
        self.minuteRequests += 1
        if failed { self.minuteFailures += 1 }
        if let latencyMs {
            self.latencies.append(latencyMs)
            if self.latencies.count > 50 { self.latencies.removeFirst(self.latencies.count - 50) }
            self.minuteLatencies.append(latencyMs)
        }
        guard counted else {
            // A key matter says nothing about the provider; a probe that met one gives the turn back.
            if case .halfOpen(true) = self.circuit { self.circuit = .halfOpen(probing: false) }
            return
        }
        self.recent.append((now, failed))
        self.forget(before: now)
        self.consecutive = failed ? self.consecutive + 1 : 0
        switch self.circuit {
        case .halfOpen:
            if failed {
                self.backoff = min(self.backoff * 2, self.settings.maxBackoff)
                self.circuit = .open(until: now + self.backoff)
            } else {
                self.backoff = self.settings.backoff
                self.circuit = .closed
                self.recent = []
            }
        case .closed:
            let failures = self.recent.filter(\.failed).count
            let rateExceeded =
                self.recent.count >= self.settings.window
                && Double(failures) / Double(self.recent.count) > self.settings.errorRate
            if failed && (self.consecutive >= self.settings.consecutiveFailures || rateExceeded) {
                self.circuit = .open(until: now + self.backoff)
            }
        case .open:
            break
        }
    }

    private mutating func forget(before now: Int64) {
        self.recent.removeAll { $0.at <= now - self.settings.memory }
        if self.recent.count > self.settings.window {
            self.recent.removeFirst(self.recent.count - self.settings.window)
        }
    }

    /// The health score at `now` with `headroom` (share of usable keys, 0...1).
    public func score(headroom: Double, now: Int64) -> Double {
        let recent = self.recent.filter { $0.at > now - self.settings.memory }
        let failures = recent.filter(\.failed).count
        let success = recent.isEmpty ? 1 : Double(recent.count - failures) / Double(recent.count)
        let latency: Double
        if let p95 = Self.percentile(self.latencies, 0.95), p95 > 1_000 {
            latency = max(0.5, 1 - (p95 - 1_000) / 8_000)
        } else {
            latency = 1
        }
        var score = 100 * success * latency * (0.5 + 0.5 * min(1, max(0, headroom)))
        switch self.circuit {
        case .closed: break
        case .open: score = 0
        case .halfOpen: score = min(score, 25)
        }
        return (score * 10).rounded() / 10
    }

    /// The 95th percentile latency of the current minute's requests.
    public var minuteLatencyP95: Double? { Self.percentile(self.minuteLatencies, 0.95) }

    static func isFailure(_ outcome: ProviderOutcome) -> Bool {
        switch outcome {
        case .timeout, .serverError, .network, .parse: return true
        case .success, .rejected, .rateLimited, .auth: return false
        }
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(0, rank), sorted.count - 1)]
    }
}
