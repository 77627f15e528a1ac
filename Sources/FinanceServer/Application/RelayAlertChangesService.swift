import FinanceApp
import FinanceCore
import FinanceStorage
import Logging
import ServiceLifecycle

/// Applies the alert changes other instances relay (`RelayMessage.alertChanged`) to this instance's engine: the alert
/// is read again from the shared store and replaces the engine's copy, or leaves the engine when it is gone. So every
/// instance evaluates every user's alerts against the ticks it ingests, whichever instance stored them.
struct RelayAlertChangesService: Service {
    let alerts: any AlertRepository
    /// Applies a change to this engine only (never relayed again).
    let apply: any AlertChangeObserver
    let relay: RelayService
    let logger: Logger

    init(relay: RelayService, alerts: any AlertRepository, apply: any AlertChangeObserver, logger: Logger) {
        self.relay = relay
        self.alerts = alerts
        self.apply = apply
        self.logger = logger
    }

    func run() async throws {
        let notices = self.relay.notices.subscribe("alert_changes")
        await cancelWhenGracefulShutdown {
            for await notice in notices {
                guard case .alertChanged(let id) = notice else { continue }
                await self.reload(id: id)
            }
        }
    }

    /// Replaces the engine's copy of alert `id` with the stored one (removing it when it is gone).
    func reload(id: String) async {
        do {
            await self.apply.alertSaved(try await self.alerts.alert(id: id))
        } catch StorageError.notFound {
            await self.apply.alertDeleted(id: id, owner: "")
        } catch {
            self.logger.warning(
                "a relayed alert change could not be read", metadata: ["alert": "\(id)", "error": "\(error)"])
        }
    }
}
