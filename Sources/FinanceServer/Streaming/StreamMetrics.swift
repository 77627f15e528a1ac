import Metrics

/// The WebSocket hub's metrics (`/metrics`): connections, subscriptions, messages in and out, drops, conflations
/// and send-queue depth.
enum StreamMetrics {
    /// Open (authenticated) connections per tier.
    static func connections(tier: String) -> Gauge {
        Gauge(label: "financehub_ws_connections", dimensions: [("tier", tier)])
    }
    /// (channel, symbol) subscriptions plus per-user channels, over every connection.
    static let subscriptions = Gauge(label: "financehub_ws_subscriptions")
    static let messagesIn = Counter(label: "financehub_ws_messages_in_total")
    static let messagesOut = Counter(label: "financehub_ws_messages_out_total")
    /// Messages a connection lost: queued when it was closed as a slow client, or refused by a rate limit.
    static let dropped = Counter(label: "financehub_ws_dropped_total")
    /// Price updates that replaced an unsent older one of the same symbol.
    static let conflated = Counter(label: "financehub_ws_conflated_total")
    /// Messages queued over every connection, and in the fullest queue (sampled about once a second).
    static let queueDepth = Gauge(label: "financehub_ws_send_queue_depth")
    static let queueDepthMax = Gauge(label: "financehub_ws_send_queue_depth_max")
    /// Connections closed by the server, per close code.
    static func closed(code: UInt16) -> Counter {
        Counter(label: "financehub_ws_closed_total", dimensions: [("code", String(code))])
    }
}
