import FinanceApp
import FinanceCore

/// One open WebSocket as the admin listing shows it.
public struct StreamConnectionInfo: Sendable, Codable, Equatable {
    public var id: Int
    /// Nil while a `/ws` connection has not authenticated yet.
    public var user: String?
    public var tier: String?
    public var ip: String
    public var endpoint: String
    /// When it connected, ms since the epoch.
    public var since: Int64
    /// Channel name → symbols (`alerts` and `monitoring` → []).
    public var subscriptions: [String: [String]]
    public var messagesIn: Int
    public var messagesOut: Int
    public var queueDepth: Int
}

/// Counts over every open WebSocket.
public struct StreamHubStats: Sendable, Codable, Equatable {
    /// Open connections, authenticated or not.
    public var connections: Int
    /// Authenticated connections per tier (every tier listed).
    public var byTier: [String: Int]
    /// Connections not authenticated yet.
    public var unauthenticated: Int
    /// (channel, symbol) subscriptions plus per-user channels.
    public var subscriptions: Int
    /// Connections opened in the last minute.
    public var connectsLastMinute: Int
}

/// Why the admin API closes connections.
public enum StreamDisconnectReason: Sendable {
    /// An administrator's decision, a ban, a disabled user: close 1008.
    case policy
    /// The token was revoked (logout, refresh reuse): close 4001.
    case tokenRevoked

    var code: UInt16 {
        switch self {
        case .policy: return 1008
        case .tokenRevoked: return 4001
        }
    }

    var reason: String {
        switch self {
        case .policy: return "disconnected by the server"
        case .tokenRevoked: return "token revoked"
        }
    }
}

extension StreamHub {
    /// Every open connection, oldest first (for `GET /api/admin/connections`).
    public func connections() -> [StreamConnectionInfo] {
        let all = self.state.withLock { Array($0.all.values) }
        return all.sorted { $0.id < $1.id }.map { connection in
            let principal = connection.principal
            return StreamConnectionInfo(
                id: connection.id, user: principal?.user, tier: principal?.tier.rawValue, ip: connection.ip,
                endpoint: connection.endpoint.rawValue, since: connection.since,
                subscriptions: connection.subscriptions.listing,
                messagesIn: connection.messagesIn.load(ordering: .relaxed),
                messagesOut: connection.messagesOut.load(ordering: .relaxed), queueDepth: connection.queueDepth)
        }
    }

    /// Counts by tier (for `GET /api/admin/connections/stats`).
    public func stats() -> StreamHubStats {
        let now = self.clock.nowMilliseconds()
        let (all, subscriptions) = self.state.withLock { (Array($0.all.values), $0.subscriptionCount) }
        var byTier = Dictionary(uniqueKeysWithValues: UserTier.allCases.map { ($0.rawValue, 0) })
        var unauthenticated = 0
        var recent = 0
        for connection in all {
            if let tier = connection.principal?.tier {
                byTier[tier.rawValue, default: 0] += 1
            } else {
                unauthenticated += 1
            }
            if now - connection.since <= 60_000 { recent += 1 }
        }
        return StreamHubStats(
            connections: all.count, byTier: byTier, unauthenticated: unauthenticated, subscriptions: subscriptions,
            connectsLastMinute: recent)
    }

    /// Closes the connection `id` (1008, or 4001 for a revoked token) at once; false when no such connection.
    @discardableResult
    public func disconnect(id: Int, reason: StreamDisconnectReason = .policy) -> Bool {
        guard let connection = self.state.withLock({ $0.all[id] }) else { return false }
        connection.requestClose(code: reason.code, reason: reason.reason)
        return true
    }

    /// Closes every connection of `user` (1008, or 4001 for a revoked token) at once; returns how many.
    @discardableResult
    public func disconnect(user: String, reason: StreamDisconnectReason = .policy) -> Int {
        let mine = self.state.withLock { $0.byUser[user].map { Array($0.values) } ?? [] }
        for connection in mine { connection.requestClose(code: reason.code, reason: reason.reason) }
        return mine.count
    }
}
