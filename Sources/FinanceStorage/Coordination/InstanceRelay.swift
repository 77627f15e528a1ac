import FinanceCore

/// Carries live messages between instances that share one database (PostgreSQL LISTEN/NOTIFY): ticks and bars
/// ingested on one instance, alert notifications, token revocations. Declared here so a driver can implement it
/// without importing the application layer; the command line picks the implementation (`PostgresRelay` on
/// PostgreSQL, `InProcessRelay` otherwise). Market events received through a relay are published with origin
/// `remote`: they reach WebSocket clients and quote state, never analytics or alerts (each event is analysed once,
/// where it was ingested), and they are never stored again.
public protocol InstanceRelay: Sendable {
    /// This instance's id: every payload it sends carries it, and payloads carrying it are ignored on receipt.
    var instanceId: String { get }
    /// One line for the startup summary, e.g. `PostgreSQL LISTEN/NOTIFY on financehub_relay (instance 3f9a…)`.
    var summary: String { get }
    /// Sends messages to the other instances, packed into as few payloads as fit, in order. Throws when the
    /// transport fails (the messages are lost: relayed messages are live, never replayed); a message too large for
    /// one payload on its own is skipped and counted in `stats.rejected`.
    func send(_ messages: [RelayMessage]) async throws
    /// The messages other instances send, one batch per payload in arrival order, until `run()` ends. One consumer.
    var received: AsyncStream<[RelayMessage]> { get }
    /// Keeps the relay receiving (connecting, reconnecting with back-off after a drop) until the task is cancelled.
    func run() async
    /// What the relay has done so far.
    var stats: RelayStats { get }
}

/// One message between instances.
public enum RelayMessage: Sendable, Equatable {
    /// A live tick or bar ingested on the sending instance.
    case market(MarketEvent)
    /// An alert notification for `user`: `body` is the notification's JSON, relayed as it is.
    case alert(user: String, body: String)
    /// A revocation made on the sending instance, for the WebSockets and token checks of the others.
    case revoke(RelayRevocation)
    /// An alert created, changed (also triggered or disabled by the engine) or deleted on the sending instance: the
    /// others reload it from the shared store into their engines.
    case alertChanged(id: String)
}

/// What a `RelayMessage.revoke` revokes.
public enum RelayRevocation: Sendable, Equatable {
    /// One access token, by its `jti`.
    case token(jti: String)
    /// Every token of a user (disabled, banned, signed out everywhere).
    case user(String)
}

/// Counts of what a relay has done, for tests, the benchmark and logs.
public struct RelayStats: Sendable, Equatable {
    /// Payloads and messages sent.
    public var sentPayloads = 0
    public var sentMessages = 0
    /// Payloads and messages received from other instances.
    public var receivedPayloads = 0
    public var receivedMessages = 0
    /// Payloads of this instance seen on receipt and ignored.
    public var ownIgnored = 0
    /// Payloads of other instances that never arrived (gaps in their sequence numbers).
    public var missedPayloads = 0
    /// Payloads that could not be read (another version, or not ours).
    public var malformed = 0
    /// Messages too large for one payload, never sent.
    public var rejected = 0
    /// Received payloads dropped because the consumer was behind.
    public var droppedPayloads = 0
    /// Times the receiving connection was lost (or could not be opened) and was opened again.
    public var reconnects = 0
    /// True while the relay is listening.
    public var listening = false

    public init() {}
}

/// Instance ids.
public enum RelayInstanceId {
    /// A fresh id for one process: 12 random hexadecimal digits.
    public static func random() -> String {
        let value = UInt64.random(in: 0...UInt64.max) >> 16
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 12 - digits.count) + digits
    }
}
