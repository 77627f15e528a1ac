import FinanceCore
import Synchronization

/// The ticks a live source delivered while the previous write was running: the feed writes all of them at once,
/// so a fast stream (5,000 trades/s) costs one transaction per write instead of one per frame, and the lag stays
/// bounded by one write. At most `capacity` ticks wait; beyond it the oldest are dropped (a database that stopped
/// answering must not take the server's memory) and counted.
final class TickBacklog: Sendable {
    private struct State {
        var ticks: [Tick] = []
        var finished = false
        var dropped = 0
    }

    let capacity: Int
    private let state = Mutex(State())
    private let wake: AsyncStream<Void>.Continuation
    private let wakeUps: AsyncStream<Void>

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        (self.wakeUps, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Adds a frame's ticks.
    func append(_ ticks: [Tick]) {
        self.state.withLock { state in
            state.ticks += ticks
            let excess = state.ticks.count - self.capacity
            if excess > 0 {
                state.ticks.removeFirst(excess)
                state.dropped += excess
            }
        }
        self.wake.yield()
    }

    /// No more ticks will come.
    func finish() {
        self.state.withLock { $0.finished = true }
        self.wake.finish()
    }

    /// Everything waiting (waiting for something first), and how many were dropped since the last call; nil once
    /// finished and empty.
    func next() async -> (ticks: [Tick], dropped: Int)? {
        var iterator = self.wakeUps.makeAsyncIterator()
        while true {
            let taken = self.state.withLock { state -> (ticks: [Tick], dropped: Int, finished: Bool) in
                defer {
                    state.ticks = []
                    state.dropped = 0
                }
                return (state.ticks, state.dropped, state.finished)
            }
            if !taken.ticks.isEmpty { return (taken.ticks, taken.dropped) }
            if taken.finished { return nil }
            guard await iterator.next() != nil else {
                let rest = self.state.withLock { state -> [Tick] in
                    defer { state.ticks = [] }
                    return state.ticks
                }
                return rest.isEmpty ? nil : (rest, 0)
            }
        }
    }
}
