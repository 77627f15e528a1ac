import FinanceCore
import FinanceProviders
import FinanceStorage
import Synchronization

/// A provider adapter with its key pool.
public struct RoutedProvider: Sendable {
    public var adapter: any MarketDataProvider
    public var pool: KeyPool

    public init(adapter: any MarketDataProvider, pool: KeyPool) {
        self.adapter = adapter
        self.pool = pool
    }

    public var name: String { self.adapter.name }
}

/// One provider tried for a request, and how it went.
public struct ProviderAttempt: Sendable, Equatable {
    public var provider: String
    /// A `ProviderOutcome` name, or `circuit_open` / `no_key` when the provider was skipped.
    public var outcome: String
    public var detail: String

    public init(provider: String, outcome: String, detail: String) {
        self.provider = provider
        self.outcome = outcome
        self.detail = detail
    }
}

/// Every provider able to serve a request failed or was skipped; `retryAfterSeconds` is when one may serve again.
public struct ProvidersUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    public var capability: ProviderCapability
    public var attempts: [ProviderAttempt]
    public var retryAfterSeconds: Int

    public var description: String {
        let tried = self.attempts.map { "\($0.provider): \($0.outcome)" }.joined(separator: ", ")
        return "no provider could serve \(self.capability.rawValue)" + (tried.isEmpty ? "" : " (\(tried))")
    }
}

/// An answer with the provider that gave it.
public struct Routed<Value: Sendable>: Sendable {
    public var value: Value
    public var provider: String
    public var attempts: [ProviderAttempt]
}

/// Picks providers for a request and fails over between them: providers offering the capability are ranked by
/// health score, and providers within 10 points of the best remaining one are taken in preference order
/// (`providers.preference`); a provider whose circuit is open is skipped; a failure tries the next provider within
/// the same request, a key-specific failure (rate limit, key rejected) first the provider's next key. Records
/// every outcome in the provider's health and every upstream request in the usage log (flushed by
/// `flush(now:)`, with the per-minute health history) and in the provider metrics (`ProviderMetrics`).
public actor ProviderRouter {
    public nonisolated let providers: [RoutedProvider]
    private let preference: [String]
    private let repository: any ProviderStateRepository
    private let clock: any WallClock
    private var health: [String: ProviderHealth]
    private var headroom: [String: Double] = [:]
    private var pendingUsage: [ProviderUsageEntry] = []

    public init(
        providers: [RoutedProvider], preference: [String], circuit: CircuitSettings = CircuitSettings(),
        repository: any ProviderStateRepository, clock: any WallClock
    ) {
        self.providers = providers
        self.preference = preference
        self.repository = repository
        self.clock = clock
        var health: [String: ProviderHealth] = [:]
        for provider in providers { health[provider.name] = ProviderHealth(settings: circuit) }
        self.health = health
    }

    /// The providers offering `capability` (among `names` when given), best first.
    public func ranking(_ capability: ProviderCapability, among names: Set<String>? = nil) -> [RoutedProvider] {
        var left = self.providers.filter {
            $0.adapter.capabilities.contains(capability) && (names?.contains($0.name) ?? true)
        }
        var ranked: [RoutedProvider] = []
        while !left.isEmpty {
            let scores = left.map { self.score($0.name) }
            let best = scores.max()!
            let near = left.indices.filter { scores[$0] >= best - 10 }
            let pick = near.min { self.preferenceRank(left[$0].name) < self.preferenceRank(left[$1].name) }!
            ranked.append(left.remove(at: pick))
        }
        return ranked
    }

    /// A provider's health score now.
    public func score(_ name: String) -> Double {
        self.health[name]?.score(headroom: self.headroom[name] ?? 1, now: self.clock.nowMilliseconds()) ?? 0
    }

    /// A provider's circuit state now.
    public func circuit(_ name: String) -> ProviderHealth.Circuit? { self.health[name]?.circuit }

    private func preferenceRank(_ name: String) -> Int { self.preference.firstIndex(of: name) ?? self.preference.count }

    /// Runs `body` on the best provider for `capability`, failing over as described above. Throws
    /// `ProviderError.unknownSymbol` when every provider that answered said it does not know the symbol, and
    /// `ProvidersUnavailable` when none could serve.
    public nonisolated func run<T: Sendable>(
        _ capability: ProviderCapability, among names: Set<String>? = nil,
        _ body: @escaping @Sendable (any MarketDataProvider, ProviderCall) async throws -> T
    ) async throws -> Routed<T> {
        var attempts: [ProviderAttempt] = []
        var retryAt: Int64?
        var unknown: ProviderError?
        for provider in await self.ranking(capability, among: names) {
            let permit = await self.permit(provider.name)
            if case .denied(let until) = permit {
                attempts.append(
                    ProviderAttempt(provider: provider.name, outcome: "circuit_open", detail: "circuit open"))
                retryAt = min(retryAt ?? until, until)
                continue
            }
            var probe = permit == .probe
            for _ in provider.pool.keyIds {
                let (key, keyRetry) = try await provider.pool.key(for: capability)
                guard let key else {
                    attempts.append(
                        ProviderAttempt(provider: provider.name, outcome: "no_key", detail: "no usable key"))
                    if let keyRetry { retryAt = min(retryAt ?? keyRetry, keyRetry) }
                    if probe { await self.returnProbe(provider.name) }
                    probe = false
                    break
                }
                let recorder = UpstreamRecorder()
                let base = provider.pool.call(with: key)
                let call = ProviderCall(key: base.key) { endpoint in
                    try await base.beforeRequest(endpoint)
                    recorder.sent(endpoint)
                }
                let start = ContinuousClock.now
                do {
                    let value = try await body(provider.adapter, call)
                    await self.finish(provider, key: key, outcome: .success, start: start, recorder: recorder)
                    return Routed(value: value, provider: provider.name, attempts: attempts)
                } catch let error as ProviderError {
                    await self.finish(provider, key: key, outcome: error.outcome, start: start, recorder: recorder)
                    attempts.append(
                        ProviderAttempt(provider: provider.name, outcome: error.outcome.rawValue, detail: "\(error)"))
                    let keyChanged = try await provider.pool.report(error, key: key, capability: capability)
                    await self.updateHeadroom(provider)
                    if case .unknownSymbol = error { unknown = error }
                    if case .rateLimited(let seconds, _) = error {
                        let at = self.clock.nowMilliseconds() + Int64(max(1, seconds ?? 60)) * 1_000
                        retryAt = min(retryAt ?? at, at)
                    }
                    probe = false
                    // A key-specific failure tries the provider's next key; anything else the next provider.
                    if keyChanged, recorder.requests == 0 || error.outcome == .rateLimited || error.outcome == .auth {
                        continue
                    }
                    break
                }
            }
        }
        if let unknown, attempts.allSatisfy({ $0.outcome == ProviderOutcome.rejected.rawValue }) { throw unknown }
        let now = self.clock.nowMilliseconds()
        let seconds = retryAt.map { Int(max(1, ($0 - now + 999) / 1_000)) } ?? 30
        throw ProvidersUnavailable(capability: capability, attempts: attempts, retryAfterSeconds: seconds)
    }

    private func permit(_ name: String) -> ProviderHealth.Permit {
        self.health[name]?.permit(now: self.clock.nowMilliseconds()) ?? .allowed
    }

    /// A probe that could not run (no key) gives its turn back.
    private func returnProbe(_ name: String) {
        if case .halfOpen(true) = self.health[name]?.circuit {
            self.health[name]?.record(.rateLimited, latencyMs: nil, now: self.clock.nowMilliseconds())
        }
    }

    private func updateHeadroom(_ provider: RoutedProvider) async {
        let share = await provider.pool.usableShare()
        self.headroom[provider.name] = share
        ProviderMetrics.headroom(provider: provider.name, share: share)
        self.publishHealth(provider.name)
    }

    /// Sets a provider's health gauges to its score and circuit now.
    private func publishHealth(_ name: String) {
        guard let circuit = self.health[name]?.circuit else { return }
        ProviderMetrics.health(provider: name, score: self.score(name), circuit: circuit)
    }

    private func finish(
        _ provider: RoutedProvider, key: ProviderKey, outcome: ProviderOutcome, start: ContinuousClock.Instant,
        recorder: UpstreamRecorder
    ) {
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15
        let now = self.clock.nowMilliseconds()
        // A call refused before any request (no budget) did not reach the provider.
        guard recorder.requests > 0 else { return }
        self.health[provider.name]?.record(outcome, latencyMs: outcome == .timeout ? nil : ms, now: now)
        ProviderMetrics.request(provider: provider.name, keyId: key.id, outcome: outcome, seconds: ms / 1_000)
        self.publishHealth(provider.name)
        self.pendingUsage.append(
            ProviderUsageEntry(
                ts: now, provider: provider.name, keyId: key.id, endpoint: recorder.endpoint, status: outcome.rawValue,
                latencyMs: ms, credits: recorder.requests, cacheHit: false))
    }

    /// Adds an answer served without an upstream request (a cache hit) to the usage log.
    public func logCacheHit(provider: String, endpoint: String) {
        self.pendingUsage.append(
            ProviderUsageEntry(
                ts: self.clock.nowMilliseconds(), provider: provider, keyId: nil, endpoint: endpoint,
                status: "cache_hit", latencyMs: 0,
                credits: 0, cacheHit: true))
    }

    /// Writes the pending usage log entries, and each provider's health sample for its current minute.
    public func flush() async throws {
        let usage = self.pendingUsage
        self.pendingUsage = []
        try await self.repository.appendUsage(usage)
        var samples: [ProviderHealthSample] = []
        let minute = Interval.minute1.bucketStart(self.clock.nowMilliseconds())
        for provider in self.providers {
            // The headroom is refreshed here too: parked keys come back as their windows end.
            let share = await provider.pool.usableShare()
            self.headroom[provider.name] = share
            ProviderMetrics.headroom(provider: provider.name, share: share)
            self.publishHealth(provider.name)
            guard let health = self.health[provider.name] else { continue }
            let current = health.minute == minute
            samples.append(
                ProviderHealthSample(
                    provider: provider.name, minute: minute, score: self.score(provider.name),
                    requests: current ? health.minuteRequests : 0, failures: current ? health.minuteFailures : 0,
                    latencyP95Ms: current ? health.minuteLatencyP95 : nil, circuit: health.circuit.name))
        }
        try await self.repository.recordHealth(samples)
    }
}

/// Counts the upstream requests of one call and keeps the last endpoint's name.
final class UpstreamRecorder: Sendable {
    private let state = Mutex((requests: 0, endpoint: ""))

    func sent(_ endpoint: String) { self.state.withLock { $0 = ($0.requests + 1, endpoint) } }
    var requests: Int { self.state.withLock { $0.requests } }
    var endpoint: String { self.state.withLock { $0.endpoint } }
}
