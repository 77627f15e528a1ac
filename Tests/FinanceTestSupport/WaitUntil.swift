/// Polls `condition` every `interval` until it holds or `timeout` has passed, and says whether it held: for tests
/// that wait on work other tasks do (a relay, a service's loop, a restarted process).
@discardableResult
public func waitUntil(
    timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(10), _ condition: () -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: interval)
    }
    return true
}
