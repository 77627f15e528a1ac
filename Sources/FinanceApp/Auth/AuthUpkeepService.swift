import Logging
import ServiceLifecycle

/// Reads the token revocations other instances recorded, every `interval` (so a logout or revocation anywhere is
/// refused everywhere within it), and forgets expired ones now and then.
public struct AuthUpkeepService: Service {
    public let auth: AuthService
    public let interval: Duration
    public let logger: Logger

    public init(auth: AuthService, interval: Duration = .seconds(2), logger: Logger) {
        self.auth = auth
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var round = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await self.auth.pollRevocations()
                if round % 900 == 0 {
                    try await self.auth.users.pruneRevocations(now: self.auth.clock.nowMilliseconds())
                }
            } catch {
                self.logger.warning("token revocations could not be read", metadata: ["error": "\(error)"])
            }
            round += 1
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                break
            }
        }
    }
}
