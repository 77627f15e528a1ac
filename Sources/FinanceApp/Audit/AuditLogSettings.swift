/// Settings of the audit log (`audit.*`).
public struct AuditLogSettings: Sendable, Equatable {
    /// Events held in memory waiting to be written; when full, new events are dropped (and counted).
    public var bufferSize: Int
    /// Days events are kept; older ones are deleted once a day. 0 keeps them forever.
    public var retentionDays: Int
    /// The most events written in one batch.
    public var batchSize: Int
    /// How often buffered events are written (sooner when a batch is full).
    public var flushInterval: Duration

    public init(
        bufferSize: Int = 10_000, retentionDays: Int = 90, batchSize: Int = 500, flushInterval: Duration = .seconds(1)
    ) {
        self.bufferSize = bufferSize
        self.retentionDays = retentionDays
        self.batchSize = batchSize
        self.flushInterval = flushInterval
    }
}
