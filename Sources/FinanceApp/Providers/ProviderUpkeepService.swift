import Logging
import ServiceLifecycle

/// Writes the providers' usage log and per-minute health history every `interval` and once more at shutdown.
public struct ProviderUpkeepService: Service {
    public let router: ProviderRouter
    public let interval: Duration
    public let logger: Logger

    public init(router: ProviderRouter, interval: Duration = .seconds(5), logger: Logger) {
        self.router = router
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                break
            }
            await self.flush()
        }
        await self.flush()
    }

    private func flush() async {
        do { try await self.router.flush() } catch {
            self.logger.warning("provider usage and health could not be written", metadata: ["error": "\(error)"])
        }
    }
}
