import FinanceCore
import Foundation
import Logging

/// The state of alert evaluation, owned by the evaluating task of `AlertEvaluationService`: the engine and the
/// closers that turn live bar updates into the closed bars its technical conditions need.
struct AlertEvaluator {
    /// A closer of one symbol's bars at `target`, fed by the first source interval seen for it.
    struct Closer {
        var source: Interval
        var closer: BarCloser
        /// The first source bar it took: a bucket that started before it is partial and is not a closed bar.
        var first: Int64
    }

    let engine = AlertEngine()
    private var closers: [AlertInbox.SeriesKey: Closer] = [:]

    /// Applies the commands of a batch, in order.
    mutating func apply(_ commands: [AlertCommand]) -> [AlertFiring] {
        var firings: [AlertFiring] = []
        for command in commands {
            switch command {
            case .add(let alert, let state): self.engine.add(alert, state: state)
            case .update(let alert): self.engine.update(alert)
            case .remove(let id): self.engine.remove(id: id)
            case .targetValue(let target, let value, let ts):
                firings += self.engine.process(target: target, value: value, ts: ts)
            case .previousClose(let symbol, let close): self.engine.setPreviousClose(symbol: symbol, close: close)
            }
        }
        return firings
    }

    /// Evaluates the market events of a batch: prices per symbol (extremes in the order they came, then the
    /// last), bar updates (closed bars of the intervals the alerts need), then pattern signals.
    mutating func evaluate(_ batch: AlertInbox.Batch, now: Int64) -> [AlertFiring] {
        var firings: [AlertFiring] = []
        for symbol in batch.priceOrder {
            guard let prices = batch.prices[symbol] else { continue }
            for point in prices.path {
                firings += self.engine.process(symbol: symbol, ts: point.ts, price: point.price)
            }
        }
        for key in batch.barOrder {
            for bar in batch.bars[key] ?? [] { firings += self.take(key, bar, now: now) }
        }
        for signal in batch.signals { firings += self.engine.process(signal: signal) }
        return firings
    }

    /// Takes one update of a live bar.
    private mutating func take(_ key: AlertInbox.SeriesKey, _ bar: Bar, now: Int64) -> [AlertFiring] {
        var firings: [AlertFiring] = []
        let symbol = key.symbol
        let source = key.interval
        for target in self.engine.barIntervals(symbol: symbol)
        where target == source || (source < target && source.divides(target)) {
            let closerKey = AlertInbox.SeriesKey(symbol: symbol, interval: target)
            if self.closers[closerKey] == nil {
                self.closers[closerKey] = Closer(
                    source: source, closer: BarCloser(source: source, target: target), first: bar.ts)
            }
            guard self.closers[closerKey]?.source == source, var closer = self.closers[closerKey] else { continue }
            let closed = closer.closer.update(bar)
            self.closers[closerKey] = closer
            for done in closed where done.ts >= closer.first {
                firings += self.engine.process(symbol: symbol, interval: target, bar: done)
            }
        }
        return firings
    }

    /// The history the engine wants, loaded with `history` and fed to it (nothing fires).
    func warmUp(
        now: Int64, history: @Sendable (AlertWarmUp, _ before: Int64) async throws -> [Bar], logger: Logger
    ) async {
        for request in self.engine.warmUpRequests() {
            let before = request.interval.bucketStart(now)
            do {
                let bars = try await history(request, before)
                self.engine.warmUp(symbol: request.symbol, interval: request.interval, bars: bars)
            } catch {
                // The series starts cold; the request is not repeated until a new series asks.
                self.engine.warmUp(symbol: request.symbol, interval: request.interval, bars: [])
                logger.warning(
                    "alert history could not be loaded",
                    metadata: [
                        "symbol": "\(request.symbol)", "interval": "\(request.interval.name)", "error": "\(error)",
                    ])
            }
        }
    }
}
