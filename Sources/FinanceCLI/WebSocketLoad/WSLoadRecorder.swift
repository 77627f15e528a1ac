import Foundation
import Histogram
import NIOCore

/// The counts of the load tool's clients on one event loop. Only that loop's thread touches it: the clients'
/// handlers record, and the engine resets and reads it through `eventLoop.submit`, so recording takes no lock.
final class WSLoadRecorder: @unchecked Sendable {
    /// What the clients of this loop saw during one run.
    struct Snapshot: Sendable {
        /// Latency of each price message (receipt time minus its `ts`), in microseconds.
        var latency: Histogram<UInt64>
        /// Price messages received per client slot.
        var delivered: [Int: Int]
        /// Price messages in total.
        var total: Int
        /// Frames that were not a price message of this run (heartbeats, errors, ...).
        var other: Int
        /// Price messages older than the run (snapshots, stragglers of an earlier run): not counted.
        var preStart: Int
        /// When the last counted message arrived (µs since epoch); 0 if none.
        var lastReceiveMicros: Int64
        /// Client slots whose connection closed, with the close code the server sent (0 without one).
        var closed: [Int: UInt16]
    }

    /// The largest latency recorded (µs); larger ones count as this.
    static let maxLatencyMicros: UInt64 = 600_000_000

    let eventLoop: any EventLoop
    private var slots: [Int] = []
    private var delivered: [Int] = []
    private var recording = false
    private var startMilliseconds: Int64 = 0
    private var snapshot = WSLoadRecorder.empty()

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    private static func empty() -> Snapshot {
        Snapshot(
            latency: Histogram(
                lowestDiscernibleValue: 1, highestTrackableValue: Self.maxLatencyMicros,
                numberOfSignificantValueDigits: .three),
            delivered: [:], total: 0, other: 0, preStart: 0, lastReceiveMicros: 0, closed: [:])
    }

    // MARK: On the loop, from the handlers

    /// Adds client `slot`; returns its index here.
    func register(slot: Int) -> Int {
        self.eventLoop.preconditionInEventLoop()
        self.slots.append(slot)
        self.delivered.append(0)
        return self.slots.count - 1
    }

    /// A price message with tick time `ts` (ms) reached client `index`.
    func price(_ index: Int, ts: Int64) {
        guard self.recording else { return }
        guard ts >= self.startMilliseconds else {
            self.snapshot.preStart += 1
            return
        }
        let now = WallTime.microseconds()
        self.delivered[index] += 1
        self.snapshot.total += 1
        self.snapshot.lastReceiveMicros = now
        let latency = UInt64(clamping: max(0, now - ts * 1_000))
        _ = self.snapshot.latency.record(min(latency, Self.maxLatencyMicros))
    }

    /// Any other frame reached client `index`.
    func other(_ index: Int) {
        if self.recording { self.snapshot.other += 1 }
    }

    /// Client `index` was closed (with the server's close code, or 0).
    func closed(_ index: Int, code: UInt16) {
        let slot = self.slots[index]
        if self.snapshot.closed[slot] == nil || code != 0 { self.snapshot.closed[slot] = code }
    }

    // MARK: From the engine (through submit)

    /// Starts a run: counts from zero, and only price messages whose `ts` is at or after `startMilliseconds`.
    func start(startMilliseconds: Int64) {
        let closed = self.snapshot.closed
        self.snapshot = Self.empty()
        self.snapshot.closed = closed
        for index in self.delivered.indices { self.delivered[index] = 0 }
        self.startMilliseconds = startMilliseconds
        self.recording = true
    }

    /// Stops counting and returns what this run saw.
    func stop() -> Snapshot {
        self.recording = false
        return self.current()
    }

    /// What this run saw so far.
    func current() -> Snapshot {
        var out = self.snapshot
        for (index, slot) in self.slots.enumerated() { out.delivered[slot] = self.delivered[index] }
        return out
    }

    /// The price messages counted so far (cheap: for progress and drain checks).
    var total: Int { self.snapshot.total }
}

/// Wall-clock time with sub-millisecond resolution (tick `ts` values are wall-clock milliseconds).
enum WallTime {
    static func microseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
    }

    static func milliseconds() -> Int64 { Self.microseconds() / 1_000 }
}
