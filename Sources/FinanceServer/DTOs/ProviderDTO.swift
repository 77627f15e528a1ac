import FinanceApp
import FinanceCore
import FinanceProviders
import FinanceStorage

/// `GET /api/providers`: every provider, used or not.
public struct ProvidersDTO: Codable, Sendable, Equatable {
    public var items: [ProviderDTO]
}

/// One provider: whether it is used and why not, what it can do, its health and circuit (when the router uses it),
/// and its keys, masked, with their budget use.
public struct ProviderDTO: Codable, Sendable, Equatable {
    public var name: String
    /// `providers.<name>.enabled`.
    public var enabled: Bool
    /// Enabled and, when it needs keys, given some.
    public var usable: Bool
    /// Why it is not usable (`disabled by configuration`, `no API key ...`); absent when usable.
    public var reason: String?
    public var capabilities: [String]
    /// The health score (0–100), for providers the router uses.
    public var health: Double?
    public var circuit: CircuitDTO?
    public var keys: [KeyDTO]
}

/// A circuit breaker's state: `closed`, `open` (until `until`, ms) or `half_open`.
public struct CircuitDTO: Codable, Sendable, Equatable {
    public var state: String
    public var until: Int64?

    public init(_ circuit: ProviderHealth.Circuit) {
        self.state = circuit.name
        if case .open(let until) = circuit { self.until = until }
    }
}

/// One key, masked (its id and at most its last 2 characters), never the secret.
public struct KeyDTO: Codable, Sendable, Equatable {
    public var key: String
    public var keyId: String
    public var parkedUntil: Int64?
    public var disabledReason: String?
    public var unavailable: [String]
    public var budgets: [BudgetDTO]

    public init(_ key: KeyOverview) {
        self.key = key.key
        self.keyId = key.keyId
        self.parkedUntil = key.parkedUntil
        self.disabledReason = key.disabledReason
        self.unavailable = key.unavailable
        self.budgets = key.budgets.map { BudgetDTO(window: $0.window, used: $0.used, limit: $0.limit) }
    }
}

/// The requests used of one budget window (`second`, `minute`, `day`, `month`) of a key.
public struct BudgetDTO: Codable, Sendable, Equatable {
    public var window: String
    public var used: Int
    public var limit: Int
}

/// `GET /api/providers/{name}/usage`.
public struct ProviderUsageDTO: Codable, Sendable, Equatable {
    public var items: [ProviderUsageItemDTO]
}

/// One usage log entry: an upstream request or an answer from the cache.
public struct ProviderUsageItemDTO: Codable, Sendable, Equatable {
    public var ts: Int64
    public var keyId: String?
    public var endpoint: String
    public var status: String
    public var latencyMs: Double
    public var credits: Int
    public var cacheHit: Bool

    public init(_ entry: ProviderUsageEntry) {
        self.ts = entry.ts
        self.keyId = entry.keyId
        self.endpoint = entry.endpoint
        self.status = entry.status
        self.latencyMs = entry.latencyMs.isFinite ? entry.latencyMs : 0
        self.credits = entry.credits
        self.cacheHit = entry.cacheHit
    }
}

/// `GET /api/providers/{name}/health`.
public struct ProviderHealthDTO: Codable, Sendable, Equatable {
    public var items: [ProviderHealthItemDTO]
}

/// A provider's health over one minute.
public struct ProviderHealthItemDTO: Codable, Sendable, Equatable {
    public var minute: Int64
    public var score: Double
    public var requests: Int
    public var failures: Int
    public var latencyP95Ms: Double?
    public var circuit: String

    public init(_ sample: ProviderHealthSample) {
        self.minute = sample.minute
        self.score = sample.score.isFinite ? sample.score : 0
        self.requests = sample.requests
        self.failures = sample.failures
        self.latencyP95Ms = sample.latencyP95Ms.flatMap { $0.isFinite ? $0 : nil }
        self.circuit = sample.circuit
    }
}

/// `GET /api/news`.
public struct NewsDTO: Codable, Sendable, Equatable {
    public var items: [NewsItemDTO]
    /// The provider that answered.
    public var provider: String
}

/// One article; `publishedAt` in ms since the epoch.
public struct NewsItemDTO: Codable, Sendable, Equatable {
    public var title: String
    public var url: String
    public var source: String
    public var publishedAt: Int64
    public var summary: String?

    public init(_ article: NewsArticle) {
        self.title = article.title
        self.url = article.url
        self.source = article.source
        self.publishedAt = article.publishedAt
        self.summary = article.summary
    }
}
