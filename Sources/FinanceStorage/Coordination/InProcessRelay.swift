import Synchronization

/// The relay of instances within one process, joined through a shared `InProcessRelay.Network` (tests of the wiring
/// run two applications this way). Alone on its network, the default, it sends to no one: the relay of a single
/// instance (the embedded SQLite default and the memory store).
public final class InProcessRelay: InstanceRelay {
    /// Relays that reach each other.
    public final class Network: Sendable {
        fileprivate let members = Mutex<[String: @Sendable ([RelayMessage]) -> Void]>([:])

        public init() {}
    }

    public let instanceId: String
    public let received: AsyncStream<[RelayMessage]>
    private let continuation: AsyncStream<[RelayMessage]>.Continuation
    private let network: Network
    private let counts = Mutex(RelayStats())

    /// A relay on `network` (a network of its own by default: a relay that sends to no one).
    public init(network: Network = Network(), instanceId: String = RelayInstanceId.random()) {
        self.network = network
        self.instanceId = instanceId
        (self.received, self.continuation) = AsyncStream.makeStream(of: [RelayMessage].self)
        network.members.withLock { members in
            members[instanceId] = { [weak self] messages in self?.deliver(messages) }
        }
    }

    deinit {
        let id = self.instanceId
        self.network.members.withLock { _ = $0.removeValue(forKey: id) }
    }

    public var summary: String {
        let peers = self.network.members.withLock { $0.count } - 1
        return peers == 0 ? "off (a single instance)" : "in process (\(peers) other instance\(peers == 1 ? "" : "s"))"
    }

    public var stats: RelayStats { self.counts.withLock { $0 } }

    public func send(_ messages: [RelayMessage]) async throws {
        guard !messages.isEmpty else { return }
        let id = self.instanceId
        let others = self.network.members.withLock { $0.filter { $0.key != id }.map(\.value) }
        self.counts.withLock {
            $0.sentPayloads += 1
            $0.sentMessages += messages.count
        }
        for deliver in others { deliver(messages) }
    }

    public func run() async {
        self.counts.withLock { $0.listening = true }
        // Nothing to connect: wait for the end.
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3_600)) }
        self.counts.withLock { $0.listening = false }
        self.continuation.finish()
    }

    private func deliver(_ messages: [RelayMessage]) {
        self.counts.withLock {
            $0.receivedPayloads += 1
            $0.receivedMessages += messages.count
        }
        self.continuation.yield(messages)
    }
}
