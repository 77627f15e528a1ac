import FinanceCore
import FinanceProviders
import Synchronization

@testable import FinanceApp

/// A quote provider whose answers the test scripts: each call spends one upstream request through the call's hook
/// and then answers with what `behaviour` returns for (symbol, call number, key).
final class ScriptedQuoteProvider: QuoteProvider {
    let name: String
    let capabilities: Set<ProviderCapability> = [.quote]
    private let behaviour: @Sendable (String, Int, String?) async throws -> Double
    private let calls = Mutex<[(symbol: String, key: String?)]>([])

    init(_ name: String, behaviour: @escaping @Sendable (String, Int, String?) async throws -> Double) {
        self.name = name
        self.behaviour = behaviour
    }

    var callCount: Int { self.calls.withLock { $0.count } }
    var keysUsed: [String?] { self.calls.withLock { $0.map(\.key) } }

    func quote(_ symbol: UpstreamSymbol, call: ProviderCall) async throws -> ProviderQuote {
        try await call.beforeRequest("/quote")
        let n = self.calls.withLock { calls in
            calls.append((symbol.symbol, call.key))
            return calls.count
        }
        let price = try await self.behaviour(symbol.symbol, n, call.key)
        return ProviderQuote(quote: Quote(symbol: symbol.symbol, price: price, ts: 0), changeBasis: .previousClose)
    }
}
