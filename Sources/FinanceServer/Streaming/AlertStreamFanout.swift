import FinanceApp
import FinanceStorage
import NIOCore
import ServiceLifecycle

/// The WebSocket side of alert delivery: a notification reaches its owner's `alerts` subscriptions on this instance at
/// once and on every other instance through the relay, whose `RelayNoticeService` hands it to their hubs.
public struct AlertStreamFanout: Sendable {
    let hub: StreamHub
    let relay: RelayService

    public init(hub: StreamHub, relay: RelayService) {
        self.hub = hub
        self.relay = relay
    }

    /// Sends `body` (a notification's JSON) to `user`'s connections here and on the other instances.
    public func send(user: String, body: String) {
        self.hub.publishAlert(user: user, ByteBuffer(string: body))
        self.relay.send(alert: user, body: body)
    }
}

/// Takes the notices other instances relay: alert notifications go to this hub's subscribers of their user.
struct RelayNoticeService: Service {
    let hub: StreamHub
    let relay: RelayService

    func run() async throws {
        let notices = self.relay.notices.subscribe("stream_hub")
        await cancelWhenGracefulShutdown {
            for await notice in notices {
                guard case .alert(let user, let body) = notice else { continue }
                self.hub.publishAlert(user: user, ByteBuffer(string: body))
            }
        }
    }
}
