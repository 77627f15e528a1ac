import Metrics

/// Records how long database operations take, as `financehub_db_operation_duration_seconds` by operation and
/// outcome. Drivers call it around each operation; nothing wraps a store to do it.
public enum OperationTimer {
    /// Runs `body`, recording its duration under `operation` with outcome `ok` or `error`.
    public static func measure<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        do {
            let result = try await body()
            self.record(operation, "ok", since: start)
            return result
        } catch {
            self.record(operation, "error", since: start)
            throw error
        }
    }

    /// Records one operation that started at `start`.
    private static func record(_ operation: String, _ outcome: String, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        Metrics.Timer(
            label: "financehub_db_operation_duration_seconds",
            dimensions: [("operation", operation), ("outcome", outcome)], preferredDisplayUnit: .seconds
        ).recordSeconds(seconds)
    }
}
