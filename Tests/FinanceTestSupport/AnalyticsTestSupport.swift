import FinanceCore

/// 2024-01-01T00:00:00Z
public let t0: Int64 = 1_704_067_200_000

/// Collects events from `stream` until `done` holds for those seen, or `timeout` passes (then returns what came).
/// Use one collection per subscription: a timeout cancels the iteration, which ends the stream.
public func collect(
    _ stream: AsyncStream<AnalyticsEvent>, timeout: Duration = .seconds(30),
    until done: @escaping @Sendable ([AnalyticsEvent]) -> Bool
) async -> [AnalyticsEvent] {
    await withTaskGroup(of: [AnalyticsEvent]?.self) { group in
        group.addTask {
            var seen: [AnalyticsEvent] = []
            for await event in stream {
                seen.append(event)
                if done(seen) { break }
            }
            return seen
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        if let seen = first { return seen }
        // The timeout came first: the cancelled collector returns what it saw.
        while let next = await group.next() {
            if let seen = next { return seen }
        }
        return []
    }
}

/// The volume surge of `symbol` at 1m in `events`, if any.
public func volumeSurges(_ events: [AnalyticsEvent], symbol: String) -> [Anomaly] {
    events.compactMap { event in
        guard case .anomaly(symbol, .minute1, let a) = event, a.type == .volumeSurge else { return nil }
        return a
    }
}

/// One bar as the JSON `POST /api/bars` takes.
public func barJSON(_ b: Bar) -> String {
    "[{\"ts\":\(b.ts),\"open\":\(b.open),\"high\":\(b.high),\"low\":\(b.low),\"close\":\(b.close),\"volume\":\(b.volume)}]"
}
