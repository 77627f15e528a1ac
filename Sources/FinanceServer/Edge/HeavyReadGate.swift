import FinanceCore
import Metrics
import Synchronization

/// The heavy-read queue: at most `concurrency` heavy reads run at once, the others wait their turn in arrival order,
/// never rejected before `maxWaitSeconds`; then 503 with `Retry-After` (`http.heavyReads.*`). A heavy read holds its
/// turn while its response is streamed, so memory and CPU spent on heavy reads stay bounded whatever their number.
public final class HeavyReadGate: Sendable {
    public let concurrency: Int
    public let maxWaitSeconds: Int
    /// A bars read is heavy when it can return more than this many bars.
    public let minBars: Int

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var running = 0
        var waiting: [Waiter] = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())
    private let waitingGauge = Gauge(label: "financehub_http_heavy_reads_waiting")
    private let runningGauge = Gauge(label: "financehub_http_heavy_reads_running")

    public init(settings: HTTPEdgeSettings) {
        self.concurrency = settings.heavyReadConcurrency
        self.maxWaitSeconds = settings.heavyReadMaxWaitSeconds
        self.minBars = settings.heavyReadMinBars
    }

    /// Reads running and waiting now.
    public var load: (running: Int, waiting: Int) { self.state.withLock { ($0.running, $0.waiting.count) } }

    /// The most bars a read of `interval` from `from` to `to` (either may be absent; `to` then means `now`) with
    /// `limit` can return: the limit, or fewer when the range holds fewer bars of that interval.
    public static func maxBars(interval: Interval, from: Int64?, to: Int64?, limit: Int, now: Int64) -> Int {
        guard let from else { return limit }
        let span = max(0, (to ?? now) - from)
        let step: Int64
        switch interval.unit {
        case .fixed(let milliseconds): step = milliseconds
        case .week: step = 7 * 86_400_000
        case .month: step = 28 * 86_400_000
        }
        return Int(min(Int64(limit), span / step + 1))
    }

    /// Whether a bars read of at most `bars` bars is heavy.
    public func isHeavy(bars: Int) -> Bool { bars > self.minBars }

    /// Waits for a turn; the permit's release (or its end) hands the turn on. Throws a 503 problem with `Retry-After`
    /// after `maxWaitSeconds` of waiting.
    public func admit() async throws -> HeavyReadPermit {
        var id: UInt64 = 0
        var admitted = false
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let gauges = self.state.withLock { state -> (Int, Int) in
                if state.running < self.concurrency {
                    state.running += 1
                    admitted = true
                } else {
                    state.nextID += 1
                    id = state.nextID
                    state.waiting.append(Waiter(id: id, continuation: continuation))
                }
                return (state.running, state.waiting.count)
            }
            self.record(gauges)
            if admitted {
                continuation.resume()
            } else {
                let waited = id
                Task {
                    try? await Task.sleep(for: .seconds(self.maxWaitSeconds))
                    self.expire(waited)
                }
            }
        }
        return HeavyReadPermit(gate: self)
    }

    /// Ends a waiter that is still waiting with a 503.
    private func expire(_ id: UInt64) {
        let (expired, gauges) = self.state.withLock { state -> (Waiter?, (Int, Int)) in
            guard let index = state.waiting.firstIndex(where: { $0.id == id }) else {
                return (nil, (state.running, state.waiting.count))
            }
            return (state.waiting.remove(at: index), (state.running, state.waiting.count))
        }
        guard let expired else { return }
        self.record(gauges)
        Counter(label: "financehub_http_heavy_reads_timed_out_total").increment()
        var problem = Problem(
            status: .serviceUnavailable,
            detail:
                "heavy reads are busy: this one waited \(self.maxWaitSeconds) s for its turn (http.heavyReads.maxWaitSeconds); retry later"
        )
        problem.headers["Retry-After"] = "5"
        expired.continuation.resume(throwing: problem)
    }

    /// Hands a turn to the longest waiter, or frees it.
    fileprivate func release() {
        let (next, gauges) = self.state.withLock { state -> (Waiter?, (Int, Int)) in
            if !state.waiting.isEmpty { return (state.waiting.removeFirst(), (state.running, state.waiting.count)) }
            state.running -= 1
            return (nil, (state.running, state.waiting.count))
        }
        self.record(gauges)
        next?.continuation.resume()
    }

    private func record(_ gauges: (running: Int, waiting: Int)) {
        self.runningGauge.record(gauges.running)
        self.waitingGauge.record(gauges.waiting)
    }
}

/// One heavy read's turn: released once, by `release()` or when the permit ends (a response never written).
public final class HeavyReadPermit: Sendable {
    private let gate: HeavyReadGate
    private let released = Atomic(false)

    fileprivate init(gate: HeavyReadGate) { self.gate = gate }

    public func release() {
        if !self.released.exchange(true, ordering: .acquiringAndReleasing) { self.gate.release() }
    }

    deinit { self.release() }
}
