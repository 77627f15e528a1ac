import FinanceApp
import FinanceCore
import FinanceProviders
import FinanceStorage
import Synchronization

/// A wall clock the test sets.
public final class SettableClock: WallClock {
    private let now: Mutex<Int64>
    public init(_ start: Int64) { self.now = Mutex(start) }
    public func nowMilliseconds() -> Int64 { self.now.withLock { $0 } }
    public func advance(by ms: Int64) { self.now.withLock { $0 += ms } }
}

/// One request a `ScriptedBarProvider` received.
public struct BarRequest: Sendable, Equatable {
    public var symbol: String
    public var id: String
    public var interval: Interval
    public var from: Int64
    public var to: Int64

    public init(symbol: String, id: String, interval: Interval, from: Int64, to: Int64) {
        self.symbol = symbol
        self.id = id
        self.interval = interval
        self.from = from
        self.to = to
    }
}

/// A bar history provider whose answers the test scripts (in-process: the adapters' HTTP is tested against the fake
/// provider server); each call spends one upstream request through the call's hook and is recorded.
public final class ScriptedBarProvider: BarHistoryProvider {
    public let name: String
    public let capabilities: Set<ProviderCapability> = [.barsHistory]
    private let answer: @Sendable (BarRequest) async throws -> [Bar]
    private let log = Mutex<[BarRequest]>([])

    public init(_ name: String, answer: @escaping @Sendable (BarRequest) async throws -> [Bar]) {
        self.name = name
        self.answer = answer
    }

    /// A provider answering one bar per `interval` bucket of the range, priced `price`.
    public convenience init(_ name: String, price: Double = 100) {
        self.init(name) { request in
            guard case .fixed(let step) = request.interval.unit else { return [] }
            return stride(from: request.from, to: request.to, by: Int(step)).map {
                Bar(ts: $0, open: price, high: price + 1, low: price - 1, close: price + 0.5, volume: 10)
            }
        }
    }

    public var requests: [BarRequest] { self.log.withLock { $0 } }

    public func bars(_ symbol: UpstreamSymbol, interval: Interval, from: Int64, to: Int64, call: ProviderCall)
        async throws -> [Bar]
    {
        try await call.beforeRequest("/bars")
        let request = BarRequest(symbol: symbol.symbol, id: symbol.id, interval: interval, from: from, to: to)
        self.log.withLock { $0.append(request) }
        return try await self.answer(request)
    }
}

/// A router over `providers`, each with one key and no budget limits, in the given preference order.
public func scriptedRouter(
    _ providers: [any MarketDataProvider], repository: any ProviderStateRepository, clock: any WallClock
) -> ProviderRouter {
    ProviderRouter(
        providers: providers.map {
            RoutedProvider(
                adapter: $0,
                pool: KeyPool(
                    provider: $0.name, keys: [ProviderKey(secret: "\($0.name)-secret-key")], budget: ProviderBudget(),
                    repository: repository, clock: clock))
        }, preference: providers.map(\.name), repository: repository, clock: clock)
}
