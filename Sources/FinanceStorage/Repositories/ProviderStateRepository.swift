/// What the provider layer keeps in the database, so that it holds across restarts and across instances sharing one
/// PostgreSQL: each key's budget use per window (reserved before a request is sent), each key's state (parked,
/// disabled, capabilities its plan lacks), the usage log and the per-minute health history.
///
/// Keys appear only as key ids (a stable hash prefix of the key), never as the secret.
public protocol ProviderStateRepository: Sendable {
    /// Reserves `cost` requests of a key in every window at once: granted when each window has room (and then counted
    /// in all of them), else the first full window, with nothing counted. Atomic across instances. Ended windows of
    /// the key (`end <= now`) are forgotten.
    func reserveBudget(provider: String, keyId: String, windows: [BudgetWindow], cost: Int, now: Int64)
        async throws -> BudgetReservation
    /// The requests counted so far in each of `windows` (0 for a window with none), in the same order.
    func budgetUsage(provider: String, keyId: String, windows: [BudgetWindow]) async throws -> [Int]

    /// The stored states of a provider's keys, by key id.
    func keyStates(provider: String) async throws -> [ProviderKeyState]
    /// Stores a key's state, replacing the previous one.
    func saveKeyState(_ state: ProviderKeyState) async throws

    /// Appends entries to the usage log.
    func appendUsage(_ entries: [ProviderUsageEntry]) async throws
    /// A provider's usage log with `from <= ts < to`, oldest first, at most `limit` entries.
    func usage(provider: String, from: Int64, to: Int64, limit: Int) async throws -> [ProviderUsageEntry]

    /// Stores health samples, one per provider and minute (a second sample of a minute replaces the first).
    func recordHealth(_ samples: [ProviderHealthSample]) async throws
    /// A provider's health history with `from <= minute < to`, oldest first.
    func health(provider: String, from: Int64, to: Int64) async throws -> [ProviderHealthSample]

    /// The per-asset identifiers of `symbol` at providers that override the built-in symbol map (provider → id).
    func symbolOverrides(_ symbol: String) async throws -> [String: String]
    /// Sets (or, with nil, removes) overrides of `symbol`; other providers' overrides stay.
    func setSymbolOverrides(_ symbol: String, _ overrides: [String: String?]) async throws
}

/// One budget window of a key: a calendar second, minute, day or month (UTC) and the most requests it allows.
public struct BudgetWindow: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case second, minute, day, month
    }

    public var kind: Kind
    /// Start and end of the window, ms since the epoch (`start <= t < end`).
    public var start: Int64
    public var end: Int64
    public var limit: Int

    public init(kind: Kind, start: Int64, end: Int64, limit: Int) {
        self.kind = kind
        self.start = start
        self.end = end
        self.limit = limit
    }
}

/// The answer to a budget reservation.
public enum BudgetReservation: Hashable, Sendable {
    case granted
    /// The window that has no room left (the key may be used again at its `end`).
    case exhausted(BudgetWindow)
}

/// The state of one key that outlives a request.
public struct ProviderKeyState: Hashable, Sendable {
    public var provider: String
    public var keyId: String
    /// Not used before this time (ms) after a rate-limit or quota reply, nil when not parked.
    public var parkedUntil: Int64?
    /// Why the key is disabled (the provider rejected it), nil when it is usable.
    public var disabledReason: String?
    /// Capabilities the key's plan does not include (e.g. `barsHistory` after a 403), sorted.
    public var unavailable: [String]

    public init(
        provider: String, keyId: String, parkedUntil: Int64? = nil, disabledReason: String? = nil,
        unavailable: [String] = []
    ) {
        self.provider = provider
        self.keyId = keyId
        self.parkedUntil = parkedUntil
        self.disabledReason = disabledReason
        self.unavailable = unavailable.sorted()
    }
}

/// One entry of the usage log: a request answered upstream or from the cache.
public struct ProviderUsageEntry: Hashable, Sendable {
    /// When the request ended, ms since the epoch.
    public var ts: Int64
    public var provider: String
    /// The key's id, nil for a key-free request or a cache hit.
    public var keyId: String?
    public var endpoint: String
    /// The outcome (`success`, `timeout`, `rate_limited`, ... or `cache_hit`).
    public var status: String
    public var latencyMs: Double
    /// Budget units spent (0 for a cache hit).
    public var credits: Int
    public var cacheHit: Bool

    public init(
        ts: Int64, provider: String, keyId: String?, endpoint: String, status: String, latencyMs: Double,
        credits: Int, cacheHit: Bool
    ) {
        self.ts = ts
        self.provider = provider
        self.keyId = keyId
        self.endpoint = endpoint
        self.status = status
        self.latencyMs = latencyMs
        self.credits = credits
        self.cacheHit = cacheHit
    }
}

/// A provider's health over one minute.
public struct ProviderHealthSample: Hashable, Sendable {
    public var provider: String
    /// The start of the minute, ms since the epoch.
    public var minute: Int64
    /// The health score in [0, 100].
    public var score: Double
    public var requests: Int
    public var failures: Int
    /// The 95th percentile latency of the minute's requests, nil without requests.
    public var latencyP95Ms: Double?
    /// The circuit's state at the end of the minute (`closed`, `open`, `half_open`).
    public var circuit: String

    public init(
        provider: String, minute: Int64, score: Double, requests: Int, failures: Int, latencyP95Ms: Double?,
        circuit: String
    ) {
        self.provider = provider
        self.minute = minute
        self.score = score
        self.requests = requests
        self.failures = failures
        self.latencyP95Ms = latencyP95Ms
        self.circuit = circuit
    }
}
