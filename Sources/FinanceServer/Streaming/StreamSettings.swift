/// Settings of the WebSocket hub's outgoing queues (`ws.sendQueue.*`).
public struct StreamQueueSettings: Sendable, Equatable {
    /// Price updates are conflated (the latest replaces an unsent older one of the same symbol) once a connection's
    /// queue holds more than this many messages; a client whose queue never passes it loses nothing.
    public var conflateAfter: Int
    /// A queue above this many messages makes a slow client (error 407, close 4007).
    public var max: Int
    /// A queue whose oldest message is older than this (ms) makes a slow client too.
    public var maxAgeMilliseconds: Int64

    public init(conflateAfter: Int = 256, max: Int = 4_096, maxAgeMilliseconds: Int64 = 10_000) {
        self.conflateAfter = Swift.max(1, conflateAfter)
        self.max = Swift.max(self.conflateAfter, max)
        self.maxAgeMilliseconds = Swift.max(1, maxAgeMilliseconds)
    }
}
