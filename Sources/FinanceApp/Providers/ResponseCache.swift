import FinanceCore
import FinanceProviders

/// Upstream answers kept for a time-to-live judged by when they were fetched, with single-flight coalescing: while
/// one fetch of a key is under way, every other request for that key waits for it instead of calling upstream
/// again (100 concurrent requests for one quote make one upstream call). An unknown-symbol answer is kept like a
/// value, so an unknown symbol is not fetched again on every request. At most `maxEntries` answers are held (the
/// oldest fetched go first). With a `kind`, every answer is counted in `financehub_provider_cache_total{kind,result}`.
public actor ResponseCache<Key: Hashable & Sendable, Value: Sendable> {
    /// How a request was answered.
    public enum Source: String, Sendable {
        /// From a held answer.
        case hit
        /// By a fetch another request had started.
        case coalesced
        /// By its own fetch.
        case miss
    }

    private enum Answer {
        case value(Value)
        case unknown(ProviderError)
    }

    private struct Entry {
        var answer: Answer
        var fetchedAt: Int64
    }

    public nonisolated let maxEntries: Int
    /// What the cache holds (`quote`, `news`) in its metrics; nil counts nothing.
    public nonisolated let kind: String?
    private let clock: any WallClock
    private var entries: [Key: Entry] = [:]
    private var inFlight: [Key: Task<Value, any Error>] = [:]

    public init(maxEntries: Int, clock: any WallClock, kind: String? = nil) {
        self.maxEntries = max(1, maxEntries)
        self.kind = kind
        self.clock = clock
    }

    public var count: Int { self.entries.count }

    /// The answer for `key` fetched at most `ttl` ms ago, else `fetch`ed (once for all concurrent requests).
    /// `admit` runs only when this call is the one that fetches (not on a hit or when joining a fetch under way), so a
    /// per-user limit counts the upstream fetches a user causes; its error goes to this caller alone.
    public func value(
        for key: Key, ttl: Int64, admit: (@Sendable () throws -> Void)? = nil,
        fetch: @escaping @Sendable () async throws -> Value
    ) async throws -> (value: Value, source: Source) {
        if let entry = self.entries[key], self.clock.nowMilliseconds() - entry.fetchedAt < ttl {
            self.count(.hit)
            switch entry.answer {
            case .value(let value): return (value, .hit)
            case .unknown(let error): throw error
            }
        }
        if let running = self.inFlight[key] {
            self.count(.coalesced)
            return (try await running.value, .coalesced)
        }
        try admit?()
        self.count(.miss)
        let task = Task { try await fetch() }
        self.inFlight[key] = task
        defer { self.inFlight[key] = nil }
        do {
            let value = try await task.value
            self.store(key, .value(value))
            return (value, .miss)
        } catch let error as ProviderError {
            if case .unknownSymbol = error { self.store(key, .unknown(error)) }
            throw error
        }
    }

    private func count(_ source: Source) {
        if let kind { ProviderMetrics.cache(kind: kind, result: source.rawValue) }
    }

    /// Forgets every answer.
    public func removeAll() { self.entries.removeAll() }

    private func store(_ key: Key, _ answer: Answer) {
        self.entries[key] = Entry(answer: answer, fetchedAt: self.clock.nowMilliseconds())
        guard self.entries.count > self.maxEntries else { return }
        // Drop the oldest tenth at once, so that a full cache does not sort at every insert.
        let drop = max(1, self.maxEntries / 10)
        for (key, _) in self.entries.sorted(by: { $0.value.fetchedAt < $1.value.fetchedAt }).prefix(drop) {
            self.entries[key] = nil
        }
    }
}
