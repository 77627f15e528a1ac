import FinanceCore

/// Told of every alert the REST API creates, replaces or deletes, once it is stored, so that the alert engine can
/// index it (another instance learns of it through the relay or by reloading `enabledAlerts()`).
public protocol AlertChangeObserver: Sendable {
    /// `alert` was created or replaced.
    func alertSaved(_ alert: Alert) async
    /// The alert `id` of `owner` was deleted.
    func alertDeleted(id: String, owner: String) async
}

/// The observer until the engine is wired: nobody listens.
public struct NoAlertChangeObserver: AlertChangeObserver {
    public init() {}
    public func alertSaved(_ alert: Alert) async {}
    public func alertDeleted(id: String, owner: String) async {}
}
