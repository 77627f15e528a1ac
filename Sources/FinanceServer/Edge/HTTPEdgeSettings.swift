/// The HTTP edge's limits (`http.*`): how long a connection may take to send a request head or sit idle, how many
/// connections the server holds, and how many heavy reads run at once.
public struct HTTPEdgeSettings: Sendable {
    /// Seconds a request head may take to arrive, from the connection's accept or the first byte of a request on a
    /// kept-alive connection (`http.headerTimeoutSeconds`); then 408 and close.
    public var headerTimeoutSeconds: Int = 10
    /// Seconds a kept-alive connection may sit idle between requests, and a response may stall unwritten (the client
    /// not reading it) before the connection is closed (`http.idleTimeoutSeconds`).
    public var idleTimeoutSeconds: Int = 60
    /// Open connections the server holds, WebSockets included (`http.maxConnections`); beyond it a request is answered
    /// 503 and its connection closed.
    public var maxConnections: Int = 10_000
    /// Reads admitted at once through the heavy-read queue (`http.heavyReads.concurrency`).
    public var heavyReadConcurrency: Int = 2
    /// Seconds a heavy read waits for its turn before a 503 with `Retry-After` (`http.heavyReads.maxWaitSeconds`).
    public var heavyReadMaxWaitSeconds: Int = 30
    /// A bars read is heavy when it can return more than this many bars (`http.heavyReads.minBars`).
    public var heavyReadMinBars: Int = 10_000

    /// Seconds an answered connection keeps reading (and discarding) what the client still sends before it closes,
    /// so the client reads the answer instead of a reset.
    public var lingerSeconds: Double = 2

    public init() {}
}
