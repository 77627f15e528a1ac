import Synchronization

/// A nudge to the delivery service from whoever queued deliveries (the firing sink), so that they are claimed at
/// once instead of at the next poll. Notifications while nobody waits are kept as one.
public final class AlertOutboxSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        var waiterId = 0
    }
    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiter, or the next one to wait.
    public func notify() {
        let waiter = self.state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let waiter = s.waiter else {
                s.pending = true
                return nil
            }
            s.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns when notified (at once when a notification is pending), after `timeout`, or when cancelled. One
    /// waiter at a time.
    func wait(upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.notified() }
            await group.next()
            group.cancelAll()
        }
    }

    private func notified() async {
        let id = self.state.withLock { s -> Int in
            s.waiterId &+= 1
            return s.waiterId
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = self.state.withLock { s -> Bool in
                    if s.pending || Task.isCancelled {
                        s.pending = false
                        return true
                    }
                    s.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = self.state.withLock { s -> CheckedContinuation<Void, Never>? in
                guard s.waiterId == id, let waiter = s.waiter else { return nil }
                s.waiter = nil
                return waiter
            }
            waiter?.resume()
        }
    }
}
