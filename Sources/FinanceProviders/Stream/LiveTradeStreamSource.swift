import FinanceCore
import Logging

/// A trade stream over `LiveStreamConnection` (Binance, Coinbase, Finnhub): each source says how it names a symbol
/// and what its connection is (`spec`); the streams themselves are built the same way for all.
protocol LiveTradeStreamSource: LiveTradeProvider {
    var options: LiveStreamOptions { get }
    var counters: LiveStreamCounters { get }
    var logger: Logger { get }
    /// The source's identifier for our symbol.
    func upstreamId(_ symbol: String) -> String
    /// The connection for `symbols`: URL, subscription messages and frame parser.
    func spec(symbols: [String]) -> LiveStreamSpec
}

extension LiveTradeStreamSource {
    /// The stream of `symbols`' trades as `transform` shapes each batch.
    func stream<T: Sendable>(_ symbols: [String], _ transform: @escaping @Sendable ([LiveTrade]) -> T)
        -> AsyncThrowingStream<T, any Error>
    {
        LiveStreamConnection.stream(
            spec: self.spec(symbols: symbols), options: self.options, counters: self.counters, logger: self.logger,
            transform: transform)
    }

    /// `symbols`' upstream ids, each once, with the map back to our symbols.
    func upstreamIds(_ symbols: [String]) -> (ids: [String], canonical: [String: String]) {
        var canonical: [String: String] = [:]
        var ids: [String] = []
        for symbol in symbols {
            let id = self.upstreamId(symbol)
            guard canonical[id] == nil else { continue }
            canonical[id] = symbol
            ids.append(id)
        }
        return (ids, canonical)
    }
}
