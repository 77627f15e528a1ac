import FinanceApp
import Logging
import ServiceLifecycle

extension StreamHub {
    /// The authenticated connections with who they are, for the access sweep.
    func authenticatedConnections() -> [(id: Int, principal: Principal)] {
        let all = self.state.withLock { Array($0.all.values) }
        return all.compactMap { connection in connection.principal.map { (connection.id, $0) } }
    }

    /// Checks every authenticated connection's caller again and closes those whose sign-in, token or key was
    /// revoked (4001) or whose user was disabled or removed (1008); returns how many it closed.
    @discardableResult
    public func sweep(auth: AuthService) async -> Int {
        var closed = 0
        for (id, principal) in self.authenticatedConnections() {
            switch await auth.recheck(principal) {
            case .valid: continue
            case .revoked: if self.disconnect(id: id, reason: .tokenRevoked) { closed += 1 }
            case .userDisabled: if self.disconnect(id: id, reason: .policy) { closed += 1 }
            }
        }
        return closed
    }
}

/// Every `interval` (2 s), closes the WebSockets whose caller lost access: a logout, a reused refresh token, a
/// revoked token or key, a disabled user, here or on another instance (revocations are polled every 2 s), so such
/// a connection ends within 5 s.
struct StreamAccessSweepService: Service {
    let hub: StreamHub
    let auth: AuthService
    var interval: Duration = .seconds(2)
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                break
            }
            let closed = await self.hub.sweep(auth: self.auth)
            if closed > 0 { self.logger.info("closed WebSockets whose access ended", metadata: ["count": "\(closed)"]) }
        }
    }
}
