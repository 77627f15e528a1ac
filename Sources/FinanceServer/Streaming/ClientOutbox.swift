import NIOCore

/// The bounded outgoing queue of one WebSocket connection.
///
/// Messages leave in order. Once the queue holds more than `conflateAfter` messages, a price update replaces the
/// unsent price update of the same symbol in place (the client gets the latest price, never a stale one, and other
/// symbols keep their turn); a client whose queue stays below that loses nothing. A queue above `max`, or whose
/// oldest message is older than `maxAgeMilliseconds`, marks a slow client, which the hub disconnects: its memory is
/// bounded whatever it does.
struct ClientOutbox {
    /// One queued message: its encoded text and, for a price update, its symbol (for conflation).
    struct Item {
        var text: ByteBuffer
        var symbol: String?
        var enqueuedAt: Int64
        var sequence: Int
    }

    enum PushOutcome: Equatable {
        case queued
        /// Replaced an unsent update of the same symbol.
        case conflated
        /// The client is too slow: disconnect it.
        case slow
    }

    let settings: StreamQueueSettings
    private var items = CircularBuffer<Item>(initialCapacity: 16)
    /// The sequence number of the unsent price update of each symbol.
    private var pendingPrice: [String: Int] = [:]
    private var nextSequence = 0

    init(settings: StreamQueueSettings) {
        self.settings = settings
    }

    var count: Int { self.items.count }
    var isEmpty: Bool { self.items.isEmpty }
    /// When the oldest queued message was queued.
    var oldestEnqueuedAt: Int64? { self.items.first?.enqueuedAt }

    /// Queues `text`; `symbol` marks a price update that may be conflated.
    mutating func push(_ text: ByteBuffer, symbol: String?, now: Int64) -> PushOutcome {
        // Already too slow: nothing more is queued, so the queue stays bounded even while the writer is stuck.
        if self.items.count > self.settings.max { return .slow }
        if let symbol, self.items.count > self.settings.conflateAfter, let sequence = self.pendingPrice[symbol],
            let first = self.items.first
        {
            let offset = sequence - first.sequence
            let index = self.items.index(self.items.startIndex, offsetBy: offset)
            self.items[index].text = text
            return self.isSlow(now: now) ? .slow : .conflated
        }
        let sequence = self.nextSequence
        self.nextSequence += 1
        self.items.append(Item(text: text, symbol: symbol, enqueuedAt: now, sequence: sequence))
        if let symbol { self.pendingPrice[symbol] = sequence }
        return self.isSlow(now: now) ? .slow : .queued
    }

    /// Takes every queued message, oldest first.
    mutating func drain() -> [ByteBuffer] {
        var out: [ByteBuffer] = []
        out.reserveCapacity(self.items.count)
        while let item = self.items.popFirst() {
            if let symbol = item.symbol, self.pendingPrice[symbol] == item.sequence {
                self.pendingPrice[symbol] = nil
            }
            out.append(item.text)
        }
        return out
    }

    /// Over `max`, or the oldest message older than `maxAgeMilliseconds`.
    func isSlow(now: Int64) -> Bool {
        if self.items.count > self.settings.max { return true }
        if let oldest = self.items.first?.enqueuedAt, now - oldest > self.settings.maxAgeMilliseconds { return true }
        return false
    }
}
