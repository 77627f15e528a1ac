/// Why a provider call failed, without HTTP details or secrets in it (never a key, never a URL with a key).
///
/// The kinds are those the application layer acts on: a rate-limited key is parked until `retryAfter`, a rejected
/// key is disabled, a plan-restricted capability is marked unavailable for that key, and the other failures count
/// against the provider's health (by `outcome`) and make the caller try the next provider.
public enum ProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The provider does not know the symbol.
    case unknownSymbol(String)
    /// The provider does not offer this (e.g. an interval it does not serve).
    case unsupported(String)
    /// The key's plan does not include this endpoint (HTTP 403, CoinGecko 10005, CoinMarketCap 1006).
    case planRestricted(String)
    /// Rate limited or out of quota (HTTP 429, or a quota reply inside HTTP 200); `retryAfterSeconds` when the
    /// provider said when to come back.
    case rateLimited(retryAfterSeconds: Int?, reason: String)
    /// The key is missing, invalid, expired or disabled.
    case unauthorized(String)
    /// No answer within the timeout.
    case timeout
    /// The provider answered with a server error (HTTP 5xx).
    case server(status: Int)
    /// The answer could not be read (malformed or truncated JSON, wrong types, an unexpected shape).
    case malformed(String)
    /// The provider could not be reached (connection refused, reset, DNS).
    case unavailable(String)

    /// The outcome kind, as health metrics count it.
    public var outcome: ProviderOutcome {
        switch self {
        case .unknownSymbol, .unsupported, .planRestricted: return .rejected
        case .rateLimited: return .rateLimited
        case .unauthorized: return .auth
        case .timeout: return .timeout
        case .server: return .serverError
        case .malformed: return .parse
        case .unavailable: return .network
        }
    }

    public var description: String {
        switch self {
        case .unknownSymbol(let s): return "unknown symbol \(s)"
        case .unsupported(let what): return "not supported: \(what)"
        case .planRestricted(let what): return "not in the key's plan: \(what)"
        case .rateLimited(let seconds, let reason):
            return "rate limited: \(reason)" + (seconds.map { " (retry after \($0) s)" } ?? "")
        case .unauthorized(let why): return "key rejected: \(why)"
        case .timeout: return "timed out"
        case .server(let status): return "server error (HTTP \(status))"
        case .malformed(let why): return "unreadable answer: \(why)"
        case .unavailable(let why): return "unavailable: \(why)"
        }
    }
}

/// How a provider call ended, for health metrics and the usage log.
public enum ProviderOutcome: String, Sendable, CaseIterable {
    case success
    /// A definite answer that is not data (unknown symbol, unsupported, plan-restricted): not the provider's fault.
    case rejected
    case rateLimited = "rate_limited"
    case auth
    case timeout
    case serverError = "server_error"
    case parse
    case network
}
