import Synchronization

/// Group commit: write batches that arrive while the writer is busy are gathered into its next transaction, so that
/// concurrent requests share one commit (its WAL pages, its sync) instead of queueing for one transaction each.
///
/// Each batch keeps its own outcome: a batch is resumed only after the transaction holding it has committed, with
/// its own output (the transaction runs the batches one after another, as separate transactions would). When a
/// grouped transaction fails, each of its batches is retried alone, so one failing batch cannot fail the others and
/// nothing is partly written. The first batch to arrive while no transaction is running starts the draining; it
/// adds no wait.
final class GroupCommit<Item: Sendable, Output: Sendable>: Sendable {
    typealias Run = @Sendable ([Item]) async throws -> [Output]
    private typealias Waiter = (item: Item, continuation: CheckedContinuation<Output, any Error>)

    private struct State {
        var waiting: [Waiter] = []
        var draining = false
    }

    /// The most batches in one transaction.
    let maxGroup: Int
    private let state = Mutex(State())

    init(maxGroup: Int = 64) {
        self.maxGroup = max(1, maxGroup)
    }

    /// Writes `item` with `run` (which writes a group of items in one transaction and returns their outputs in
    /// order), grouped with the items that arrive meanwhile; returns the item's own output once committed.
    func submit(_ item: Item, run: @escaping Run) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let lead = self.state.withLock { state in
                state.waiting.append((item, continuation))
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            if lead { Task { await self.drain(run) } }
        }
    }

    private func drain(_ run: Run) async {
        while true {
            let group: [Waiter] = self.state.withLock { state in
                guard !state.waiting.isEmpty else {
                    state.draining = false
                    return []
                }
                let taken = Array(state.waiting.prefix(self.maxGroup))
                state.waiting.removeFirst(taken.count)
                return taken
            }
            if group.isEmpty { return }
            do {
                let outputs = try await run(group.map(\.item))
                for (waiter, output) in zip(group, outputs) { waiter.continuation.resume(returning: output) }
            } catch {
                if group.count == 1 {
                    group[0].continuation.resume(throwing: error)
                    continue
                }
                for waiter in group {
                    do {
                        let output = try await run([waiter.item])
                        waiter.continuation.resume(returning: output[0])
                    } catch {
                        waiter.continuation.resume(throwing: error)
                    }
                }
            }
        }
    }
}
