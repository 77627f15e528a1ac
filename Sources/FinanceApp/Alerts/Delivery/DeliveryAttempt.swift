import FinanceStorage

/// What one attempt on a channel came to, before the retry policy turns it into a `DeliveryOutcome`.
public enum DeliveryAttempt: Hashable, Sendable {
    case delivered
    /// Failed; `permanent` failures are never retried.
    case failed(String, permanent: Bool)

    /// What an HTTP answer means: 2xx delivered; a redirect is not followed and fails for good (it would answer the
    /// same again); 4xx fails for good except 408 and 429; anything else is retried.
    static func http(status: Int) -> DeliveryAttempt {
        switch status {
        case 200..<300: return .delivered
        case 300..<400: return .failed("HTTP \(status): redirects are not followed", permanent: true)
        case 408, 429: return .failed("HTTP \(status)", permanent: false)
        case 400..<500: return .failed("HTTP \(status)", permanent: true)
        default: return .failed("HTTP \(status)", permanent: false)
        }
    }

    /// An HTTP request that got no answer: refused by the guard (for good) or a transport problem (retried).
    static func http(_ failure: GuardedHTTPClient.Failure) -> DeliveryAttempt {
        .failed(failure.description, permanent: failure.isPermanent)
    }

    /// The outbox outcome after `attemptsBefore` earlier attempts.
    func outcome(policy: RetryPolicy, attemptsBefore: Int, now: Int64) -> DeliveryOutcome {
        switch self {
        case .delivered: return .delivered
        case .failed(let error, let permanent):
            return policy.outcome(error: error, permanent: permanent, attemptsBefore: attemptsBefore, now: now)
        }
    }
}
