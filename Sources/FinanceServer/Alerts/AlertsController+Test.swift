import FinanceApp
import FinanceCore
import FinanceStorage
import Foundation
import Hummingbird

extension AlertsController {
    /// `POST /api/alerts/test`: evaluates an alert of the caller (`alertId`) or a whole alert body (`alert`) against
    /// current data and sends one notification with `"test": true` on each of its channels (or the body's
    /// `channels`), at once through the senders: no history, no outbox row, no throttle but its own
    /// (`alerts.throttle.testsPerMinute`, beyond it 429 with Retry-After). Answers `{"matched", "values",
    /// "conditions", "deliveries"}`.
    @Sendable func test(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard let sends = self.testSends else {
            throw Problem(status: .serviceUnavailable, detail: "test sends are not available on this server")
        }
        let now = self.clock.nowMilliseconds()
        let value = try await JSONInput.parse(request, limit: Self.maxBodyBytes)
        let body = try AlertTestBody.parse(
            value, rules: AlertBody.Rules(patternIntervals: self.patternIntervals, now: now))
        var alert: Alert
        switch body.source {
        case .stored(let id):
            alert = try await self.ownAlert(id: id, owner: principal.user)
        case .inline(let inline):
            let channels = try Self.underAlert { try Self.channels(inline, stored: []) }
            try await Self.underAlertAsync {
                try await self.checkTarget(inline.target, owner: principal.user, context: context)
            }
            try Self.underAlert { try self.checkEmailChannels(channels, at: []) }
            alert = Alert(
                id: "test_" + UUID().uuidString.lowercased(), owner: principal.user, name: inline.name,
                target: inline.target, conditions: inline.conditions, combine: inline.combine,
                trigger: inline.trigger, expiresAt: inline.expiresAt, enabled: inline.enabled, channels: channels,
                message: inline.message, createdAt: now)
        }
        if let inputs = body.channels {
            alert.channels = try Self.channels(inputs, stored: alert.channels)
            try self.checkEmailChannels(alert.channels, at: [])
        }
        if case .limited(let seconds) = sends.limiter.admit(user: principal.user, tier: principal.tier) {
            var problem = Problem(
                status: .tooManyRequests,
                detail:
                    "more than \(sends.limiter.perMinute[principal.tier] ?? 0) test sends a minute "
                    + "(alerts.throttle.testsPerMinute); retry after \(seconds) s")
            problem.headers["Retry-After"] = String(seconds)
            throw problem
        }
        let result = await sends.probe.evaluate(alert, now: now)
        let notification = AlertTestSends.notification(alert, result, now: now)
        let deliveries = try await sends.send(notification, for: alert, now: now)
        return try HTTP.json(AlertTestDTO(result, deliveries: deliveries))
    }

    /// The caller's alert `id`; another user's is a 404 as a missing one (admins included: a test sends to the
    /// owner's channels).
    func ownAlert(id: String, owner: String) async throws -> Alert {
        let notFound = StorageError.notFound("alert \(Echo.text(id))")
        do {
            let alert = try await self.alerts.alert(id: id)
            guard alert.owner == owner else { throw notFound }
            return alert
        } catch StorageError.notFound {
            throw notFound
        }
    }

    /// Runs `body`, moving the pointers of the validation issues it throws under `/alert`.
    static func underAlertAsync<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ValidationError {
            throw ValidationError(error.issues.map(AlertTestBody.underAlert))
        }
    }

    /// `underAlertAsync` for a synchronous check.
    static func underAlert<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ValidationError {
            throw ValidationError(error.issues.map(AlertTestBody.underAlert))
        }
    }
}

/// `POST /api/alerts/test`: whether the conditions hold now (combined as the alert combines them), the number each
/// condition read by type name (`values`; a type that appears twice keeps the first, `conditions` has them all),
/// and the outcome of the send on each channel, in the channels' order.
public struct AlertTestDTO: Codable, Sendable, Equatable {
    public struct Condition: Codable, Sendable, Equatable {
        public var type: String
        /// Nil while there is no data (no price yet, an indicator warming up).
        public var value: Double?
        public var matched: Bool
    }

    public var matched: Bool
    public var values: [String: Double?]
    public var conditions: [Condition]
    public var deliveries: [AlertTestSends.Delivery]

    init(_ result: AlertProbe.Result, deliveries: [AlertTestSends.Delivery]) {
        self.matched = result.matched
        var values: [String: Double?] = [:]
        for reading in result.readings where values[reading.condition] == nil {
            values[reading.condition] = .some(reading.value)
        }
        self.values = values
        self.conditions = result.readings.map { Condition(type: $0.condition, value: $0.value, matched: $0.holds) }
        self.deliveries = deliveries
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.matched, forKey: .matched)
        // Nulls kept: a condition without data shows as null rather than missing.
        var values = c.nestedContainer(keyedBy: AnyKey.self, forKey: .values)
        for (name, value) in self.values.sorted(by: { $0.key < $1.key }) {
            try values.encode(value, forKey: AnyKey(name))
        }
        try c.encode(self.conditions, forKey: .conditions)
        try c.encode(self.deliveries, forKey: .deliveries)
    }

    private enum CodingKeys: String, CodingKey { case matched, values, conditions, deliveries }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { self.stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
