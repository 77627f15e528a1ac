import FinanceCore
import FinanceProviders
import FinanceStorage

/// The keys of one provider with their budgets: which key a request uses, budget reserved in the database before
/// every upstream request (so budgets hold across restarts and instances), and what a failure does to a key (a
/// rate-limit or quota reply parks it until its window resets or Retry-After passes, an auth rejection disables
/// it, a plan restriction marks that capability unavailable for it). Key states are persisted.
public actor KeyPool {
    public nonisolated let provider: String
    public nonisolated let budget: ProviderBudget
    private let keys: [ProviderKey]
    private let repository: any ProviderStateRepository
    private let clock: any WallClock
    private var states: [String: ProviderKeyState]?
    /// Where the next search for a usable key starts, so that requests rotate over the keys.
    private var next = 0

    /// `keys` empty makes a key-free pool (one pseudo key, `ProviderKey.keyFree`, still under `budget`).
    public init(
        provider: String, keys: [ProviderKey], budget: ProviderBudget, repository: any ProviderStateRepository,
        clock: any WallClock
    ) {
        self.provider = provider
        var unique: [ProviderKey] = []
        for key in keys where !unique.contains(where: { $0.id == key.id }) { unique.append(key) }
        self.keys = unique.isEmpty ? [.keyFree] : unique
        self.budget = budget
        self.repository = repository
        self.clock = clock
    }

    /// The ids of the pool's keys, in configuration order.
    public nonisolated var keyIds: [String] { self.keys.map(\.id) }

    /// A usable key for `capability` (not disabled, not parked, the capability in its plan), rotating over the keys;
    /// nil when none is usable now, with the earliest time one will be (a parked key's end), if any.
    public func key(for capability: ProviderCapability) async throws -> (key: ProviderKey?, retryAt: Int64?) {
        let states = try await self.loadStates()
        let now = self.clock.nowMilliseconds()
        var retryAt: Int64?
        for offset in 0..<self.keys.count {
            let key = self.keys[(self.next + offset) % self.keys.count]
            let state = states[key.id]
            if state?.disabledReason != nil || state?.unavailable.contains(capability.rawValue) == true { continue }
            if let parked = state?.parkedUntil, parked > now {
                retryAt = min(retryAt ?? parked, parked)
                continue
            }
            self.next = (self.next + offset + 1) % self.keys.count
            return (key, nil)
        }
        return (nil, retryAt)
    }

    /// The call an adapter makes with `key`: before each upstream request one unit of the key's budget is reserved;
    /// a spent window parks the key until the window ends and fails the request with `rateLimited`.
    public nonisolated func call(with key: ProviderKey) -> ProviderCall {
        ProviderCall(key: key.secret) { _ in try await self.reserve(key) }
    }

    private func reserve(_ key: ProviderKey) async throws {
        let now = self.clock.nowMilliseconds()
        let windows = self.budget.windows(at: now)
        guard !windows.isEmpty else { return }
        let answer = try await self.repository.reserveBudget(
            provider: self.provider, keyId: key.id, windows: windows, cost: 1, now: now)
        if case .exhausted(let window) = answer {
            try await self.update(key.id) { $0.parkedUntil = max($0.parkedUntil ?? 0, window.end) }
            throw ProviderError.rateLimited(
                retryAfterSeconds: Int((window.end - now + 999) / 1_000),
                reason: "the key's budget of \(window.limit) per \(window.kind.rawValue) is spent")
        }
    }

    /// Applies what a failed request says about its key. Returns true when the key changed state.
    @discardableResult
    public func report(_ error: ProviderError, key: ProviderKey, capability: ProviderCapability) async throws -> Bool {
        let now = self.clock.nowMilliseconds()
        switch error {
        case .rateLimited(let seconds, _):
            let until = now + Int64(max(1, seconds ?? 60)) * 1_000
            try await self.update(key.id) { $0.parkedUntil = max($0.parkedUntil ?? 0, until) }
        case .unauthorized(let why):
            // A key-free request that is refused is not a key to disable: the provider wants a key now.
            guard key.secret != nil else { return false }
            try await self.update(key.id) { $0.disabledReason = why }
        case .planRestricted:
            try await self.update(key.id) { state in
                if !state.unavailable.contains(capability.rawValue) {
                    state.unavailable = (state.unavailable + [capability.rawValue]).sorted()
                }
            }
        default:
            return false
        }
        return true
    }

    /// Each key's state and budget use now, for listings.
    public func overview() async throws -> [KeyOverview] {
        let states = try await self.loadStates()
        let now = self.clock.nowMilliseconds()
        let windows = self.budget.windows(at: now)
        var out: [KeyOverview] = []
        for key in self.keys {
            let used = try await self.repository.budgetUsage(provider: self.provider, keyId: key.id, windows: windows)
            let state = states[key.id] ?? ProviderKeyState(provider: self.provider, keyId: key.id)
            out.append(
                KeyOverview(
                    key: key.masked, keyId: key.id,
                    parkedUntil: (state.parkedUntil ?? 0) > now ? state.parkedUntil : nil,
                    disabledReason: state.disabledReason, unavailable: state.unavailable,
                    budgets: zip(windows, used).map {
                        BudgetUse(window: $0.0.kind.rawValue, used: $0.1, limit: $0.0.limit)
                    }
                ))
        }
        return out
    }

    /// The share of keys usable now (not disabled, not parked), for the health score's headroom.
    public func usableShare() async -> Double {
        guard let states = try? await self.loadStates() else { return 1 }
        let now = self.clock.nowMilliseconds()
        let usable = self.keys.filter { key in
            let state = states[key.id]
            return state?.disabledReason == nil && (state?.parkedUntil ?? 0) <= now
        }
        return Double(usable.count) / Double(self.keys.count)
    }

    private func loadStates() async throws -> [String: ProviderKeyState] {
        if let states { return states }
        var loaded: [String: ProviderKeyState] = [:]
        for state in try await self.repository.keyStates(provider: self.provider) { loaded[state.keyId] = state }
        self.states = loaded
        return loaded
    }

    private func update(_ keyId: String, _ change: (inout ProviderKeyState) -> Void) async throws {
        var states = try await self.loadStates()
        var state = states[keyId] ?? ProviderKeyState(provider: self.provider, keyId: keyId)
        change(&state)
        states[keyId] = state
        self.states = states
        try await self.repository.saveKeyState(state)
    }
}

/// One key as listings show it: masked, with its state and budget use.
public struct KeyOverview: Sendable, Equatable {
    public var key: String
    public var keyId: String
    public var parkedUntil: Int64?
    public var disabledReason: String?
    public var unavailable: [String]
    public var budgets: [BudgetUse]
}

/// Requests used of one budget window.
public struct BudgetUse: Sendable, Equatable {
    public var window: String
    public var used: Int
    public var limit: Int
}
