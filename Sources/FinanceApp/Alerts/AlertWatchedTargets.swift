import FinanceCore
import Synchronization

/// The portfolios and sectors some alert of the evaluator watches, readable from any task: the value feed values
/// only those, so a tick costs nothing for portfolios and sectors that no alert looks at.
final class AlertWatchedTargets: Sendable {
    private struct State {
        /// Alert id → its portfolio or sector target.
        var byAlert: [String: AlertTarget] = [:]
        /// Target → how many alerts watch it.
        var counts: [AlertTarget: Int] = [:]
    }
    private let state = Mutex(State())

    /// Records `alert`'s target (replacing what its id watched before).
    func set(_ alert: Alert) {
        self.state.withLock { s in
            Self.drop(alert.id, from: &s)
            if case .symbol = alert.target { return }
            s.byAlert[alert.id] = alert.target
            s.counts[alert.target, default: 0] += 1
        }
    }

    func remove(id: String) {
        self.state.withLock { Self.drop(id, from: &$0) }
    }

    /// True when some alert watches `target`.
    func watches(_ target: AlertTarget) -> Bool {
        self.state.withLock { $0.counts[target] != nil }
    }

    private static func drop(_ id: String, from s: inout State) {
        guard let old = s.byAlert.removeValue(forKey: id) else { return }
        let left = (s.counts[old] ?? 1) - 1
        s.counts[old] = left > 0 ? left : nil
    }
}
