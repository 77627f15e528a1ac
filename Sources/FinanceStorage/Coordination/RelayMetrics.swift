import Metrics

/// The relay's metrics, shared by the drivers. Each is made on first use (after the server has bootstrapped its
/// metrics system), never at startup.
public enum RelayMetrics {
    /// Payloads and messages sent to the other instances.
    public static let sentPayloads = Counter(label: "financehub_relay_sent_payloads_total")
    public static let sentMessages = Counter(label: "financehub_relay_sent_messages_total")
    /// Payloads and messages received from the other instances.
    public static let receivedPayloads = Counter(label: "financehub_relay_received_payloads_total")
    public static let receivedMessages = Counter(label: "financehub_relay_received_messages_total")
    /// Payloads of other instances that never arrived (gaps in their sequence numbers).
    public static let missedPayloads = Counter(label: "financehub_relay_missed_payloads_total")
    /// Payloads that could not be read.
    public static let malformedPayloads = Counter(label: "financehub_relay_malformed_payloads_total")
    /// Messages not relayed, by reason: `too_large` (for one payload), `send_failed` (the transport failed),
    /// `backlog` (more waiting than the sender keeps), `consumer_behind` (received but dropped unread).
    public static func dropped(_ reason: String) -> Counter {
        Counter(label: "financehub_relay_dropped_total", dimensions: [("reason", reason)])
    }
    /// Times the receiving connection was lost (or could not be opened).
    public static let reconnects = Counter(label: "financehub_relay_reconnects_total")
}
