import Synchronization

/// The provider state of the in-memory store: the reference semantics of `ProviderStateRepository`.
final class MemoryProviderState: Sendable {
    private struct WindowKey: Hashable {
        var provider: String
        var keyId: String
        var kind: BudgetWindow.Kind
        var start: Int64
    }

    private struct KeyName: Hashable {
        var provider: String
        var keyId: String
    }

    private struct State {
        var used: [WindowKey: (end: Int64, count: Int)] = [:]
        var keys: [KeyName: ProviderKeyState] = [:]
        var usage: [ProviderUsageEntry] = []
        var health: [String: [Int64: ProviderHealthSample]] = [:]
        var symbols: [String: [String: String]] = [:]
    }

    private let state = Mutex(State())

    func reserveBudget(provider: String, keyId: String, windows: [BudgetWindow], cost: Int, now: Int64)
        -> BudgetReservation
    {
        self.state.withLock { s in
            s.used = s.used.filter { !($0.key.provider == provider && $0.key.keyId == keyId && $0.value.end <= now) }
            let keys = windows.map { WindowKey(provider: provider, keyId: keyId, kind: $0.kind, start: $0.start) }
            for (window, key) in zip(windows, keys) where (s.used[key]?.count ?? 0) + cost > window.limit {
                return .exhausted(window)
            }
            for (window, key) in zip(windows, keys) {
                s.used[key] = (window.end, (s.used[key]?.count ?? 0) + cost)
            }
            return .granted
        }
    }

    func budgetUsage(provider: String, keyId: String, windows: [BudgetWindow]) -> [Int] {
        self.state.withLock { s in
            windows.map {
                s.used[WindowKey(provider: provider, keyId: keyId, kind: $0.kind, start: $0.start)]?.count ?? 0
            }
        }
    }

    func keyStates(provider: String) -> [ProviderKeyState] {
        self.state.withLock { s in s.keys.values.filter { $0.provider == provider }.sorted { $0.keyId < $1.keyId } }
    }

    func saveKeyState(_ key: ProviderKeyState) {
        self.state.withLock { $0.keys[KeyName(provider: key.provider, keyId: key.keyId)] = key }
    }

    func appendUsage(_ entries: [ProviderUsageEntry]) {
        self.state.withLock { $0.usage += entries }
    }

    func usage(provider: String, from: Int64, to: Int64, limit: Int) -> [ProviderUsageEntry] {
        self.state.withLock { s in
            Array(
                s.usage.enumerated()
                    .filter { $0.element.provider == provider && $0.element.ts >= from && $0.element.ts < to }
                    .sorted { ($0.element.ts, $0.offset) < ($1.element.ts, $1.offset) }
                    .map(\.element)
                    .prefix(max(0, limit)))
        }
    }

    func recordHealth(_ samples: [ProviderHealthSample]) {
        self.state.withLock { s in
            for sample in samples { s.health[sample.provider, default: [:]][sample.minute] = sample }
        }
    }

    func health(provider: String, from: Int64, to: Int64) -> [ProviderHealthSample] {
        self.state.withLock { s in
            (s.health[provider] ?? [:]).values.filter { $0.minute >= from && $0.minute < to }.sorted {
                $0.minute < $1.minute
            }
        }
    }
}

extension MemoryProviderState {
    func symbolOverrides(_ symbol: String) -> [String: String] {
        self.state.withLock { $0.symbols[symbol] ?? [:] }
    }

    func setSymbolOverrides(_ symbol: String, _ overrides: [String: String?]) {
        self.state.withLock { s in
            for (provider, id) in overrides { s.symbols[symbol, default: [:]][provider] = id }
            if s.symbols[symbol]?.isEmpty == true { s.symbols[symbol] = nil }
        }
    }
}

extension MemoryStore {
    public func symbolOverrides(_ symbol: String) async throws -> [String: String] {
        self.providerState.symbolOverrides(symbol)
    }

    public func setSymbolOverrides(_ symbol: String, _ overrides: [String: String?]) async throws {
        self.providerState.setSymbolOverrides(symbol, overrides)
    }

    public func reserveBudget(provider: String, keyId: String, windows: [BudgetWindow], cost: Int, now: Int64)
        async throws -> BudgetReservation
    {
        self.providerState.reserveBudget(provider: provider, keyId: keyId, windows: windows, cost: cost, now: now)
    }

    public func budgetUsage(provider: String, keyId: String, windows: [BudgetWindow]) async throws -> [Int] {
        self.providerState.budgetUsage(provider: provider, keyId: keyId, windows: windows)
    }

    public func keyStates(provider: String) async throws -> [ProviderKeyState] {
        self.providerState.keyStates(provider: provider)
    }

    public func saveKeyState(_ state: ProviderKeyState) async throws { self.providerState.saveKeyState(state) }

    public func appendUsage(_ entries: [ProviderUsageEntry]) async throws { self.providerState.appendUsage(entries) }

    public func usage(provider: String, from: Int64, to: Int64, limit: Int) async throws -> [ProviderUsageEntry] {
        self.providerState.usage(provider: provider, from: from, to: to, limit: limit)
    }

    public func recordHealth(_ samples: [ProviderHealthSample]) async throws {
        self.providerState.recordHealth(samples)
    }

    public func health(provider: String, from: Int64, to: Int64) async throws -> [ProviderHealthSample] {
        self.providerState.health(provider: provider, from: from, to: to)
    }
}
