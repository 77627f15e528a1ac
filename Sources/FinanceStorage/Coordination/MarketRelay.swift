import FinanceCore

/// Carries live market events between instances that share one database (PostgreSQL LISTEN/NOTIFY). Declared
/// here so a driver can implement it without importing the application layer; the command line picks the
/// implementation. Events received through a relay are published with origin `remote`: they reach WebSocket
/// clients and quote state, never analytics or alerts (each event is analysed once, where it was ingested).
public protocol MarketRelay: Sendable {
    /// Sends live events ingested on this instance to the other instances.
    func send(_ events: [MarketEvent]) async throws
    /// The events other instances send, in batches as they arrive, until the relay closes.
    func received() -> AsyncStream<[MarketEvent]>
}
