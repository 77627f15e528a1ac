import FinanceApp
import FinanceCore

/// A `POST`/`PUT /api/alerts` body as parsed and checked on its own (the symbol, portfolio and sector it names, the
/// quota and the stored secrets are checked by `AlertsController`).
struct AlertBody: Equatable {
    var name: String
    var target: AlertTarget
    var conditions: [AlertCondition]
    var combine: AlertCombine
    var trigger: AlertTrigger
    var expiresAt: Int64?
    var enabled: Bool
    var channels: [AlertChannelInput]
    var message: String?

    /// What the body's checks depend on.
    struct Rules {
        /// The intervals live pattern detection runs at (`analytics.intervals`): a `pattern` condition must use one.
        var patternIntervals: [Interval]
        /// Now, ms since the epoch: `expiresAt` must be later.
        var now: Int64
    }

    static let members: Set<String> = [
        "name", "target", "conditions", "combine", "trigger", "expiresAt", "enabled", "channels", "message",
    ]
    /// Members of an answer, ignored in a body so that a client may send back what it read.
    static let answerMembers: Set<String> = [
        "id", "owner", "createdAt", "updatedAt", "state", "triggeredAt", "disabledReason",
    ]
    static let maxConditions = 20
    static let maxChannels = 10
    static let maxNameLength = 200
    static let maxMessageLength = 2_000

    /// The alert `value` describes, or a `ValidationError` listing every problem with its JSON pointer.
    static func parse(_ value: JSONValue, rules: Rules) throws -> AlertBody {
        var r = NestedReader()
        guard let o = r.object(value, at: []) else { throw ValidationError(r.issues) }
        r.rejectUnknown(o, known: Self.members, ignored: Self.answerMembers, at: [])
        let name = r.text(o, "name", at: [], required: true, maxLength: Self.maxNameLength)
        let target = Self.target(&r, o["target"])
        var conditions: [AlertCondition?] = []
        if let items = r.array(o["conditions"], at: ["conditions"], count: 1...Self.maxConditions, required: true) {
            for (i, item) in items.enumerated() {
                conditions.append(Self.condition(&r, item, at: ["conditions", String(i)], rules: rules))
            }
        }
        if let target {
            for (i, condition) in conditions.enumerated() {
                guard let condition, Self.targetKind(of: condition) != Self.kind(of: target) else { continue }
                r.fail(
                    ["conditions", String(i), "type"],
                    "\(condition.typeName) needs a \(Self.targetKind(of: condition)) target, the alert's target is a \(Self.kind(of: target))"
                )
            }
        }
        let combine = r.choice(o, "combine", at: [], AlertCombine.allCases.map(\.rawValue), default: "all")
            .flatMap(AlertCombine.init(rawValue:))
        let trigger = Self.trigger(&r, o["trigger"])
        let expiresAt = r.time(o, "expiresAt", at: [])
        if let expiresAt, expiresAt <= rules.now {
            r.fail(["expiresAt"], "expiresAt (\(Timestamp.iso8601(expiresAt))) is in the past")
        }
        let enabled = r.bool(o, "enabled", at: [], default: true)
        var channels: [AlertChannelInput?] = [.complete(.websocket)]
        if let items = r.array(o["channels"], at: ["channels"], count: 1...Self.maxChannels, required: false) {
            channels = items.enumerated().map { i, item in Self.channel(&r, item, at: ["channels", String(i)]) }
        }
        let message = r.text(o, "message", at: [], required: false, maxLength: Self.maxMessageLength, multiline: true)
        guard r.issues.isEmpty, let name, let target, let combine, let trigger, let enabled else {
            throw ValidationError(r.issues)
        }
        return AlertBody(
            name: name, target: target, conditions: conditions.compactMap { $0 }, combine: combine, trigger: trigger,
            expiresAt: expiresAt, enabled: enabled, channels: channels.compactMap { $0 }, message: message)
    }

    /// `{"symbol"} | {"portfolio"} | {"sector"}`: exactly one.
    static func target(_ r: inout NestedReader, _ value: JSONValue?) -> AlertTarget? {
        guard let o = r.object(value, at: ["target"]) else { return nil }
        r.rejectUnknown(o, known: ["symbol", "portfolio", "sector"], at: ["target"])
        let given = ["symbol", "portfolio", "sector"].filter { o[$0] != nil }
        guard given.count == 1, let kind = given.first else {
            r.fail(
                given.count > 1 ? ["target", given[1]] : ["target"],
                "target names exactly one of symbol, portfolio or sector")
            return nil
        }
        switch kind {
        case "symbol":
            guard let raw = r.string(o, "symbol", at: ["target"], required: true) else { return nil }
            guard let symbol = Symbol.normalize(raw) else {
                r.fail(["target", "symbol"], HTTP.invalidSymbol(raw))
                return nil
            }
            return .symbol(symbol)
        case "portfolio":
            return r.text(o, "portfolio", at: ["target"], required: true, maxLength: 64).map(AlertTarget.portfolio)
        default:
            return r.text(o, "sector", at: ["target"], required: true, maxLength: 200).map(AlertTarget.sector)
        }
    }

    /// The kind of target a condition watches: `symbol`, `portfolio` or `sector`.
    static func targetKind(of condition: AlertCondition) -> String {
        switch condition {
        case .portfolioValueAbove, .portfolioValueBelow, .portfolioChange: "portfolio"
        case .sectorMove: "sector"
        default: "symbol"
        }
    }

    static func kind(of target: AlertTarget) -> String {
        switch target {
        case .symbol: "symbol"
        case .portfolio: "portfolio"
        case .sector: "sector"
        }
    }

    /// `{"mode", "interval"?, "cooldownSeconds"?}`; absent: `once`.
    static func trigger(_ r: inout NestedReader, _ value: JSONValue?) -> AlertTrigger? {
        guard let value, value != .null else { return .once }
        let path = ["trigger"]
        guard let o = r.object(value, at: path) else { return nil }
        r.rejectUnknown(o, known: ["mode", "interval", "cooldownSeconds"], at: path)
        let mode = r.choice(o, "mode", at: path, ["once", "once_per_bar", "every_time"])
        if mode != "once_per_bar", o["interval"] != nil {
            r.fail(path + ["interval"], "trigger.interval is only used with mode once_per_bar")
        }
        if mode != "every_time", o["cooldownSeconds"] != nil {
            r.fail(path + ["cooldownSeconds"], "trigger.cooldownSeconds is only used with mode every_time")
        }
        switch mode {
        case "once": return .once
        case "once_per_bar": return r.interval(o, "interval", at: path, required: true).map(AlertTrigger.oncePerBar)
        case "every_time":
            return r.integer(o, "cooldownSeconds", at: path, range: 0...31_536_000, default: 0)
                .map { .everyTime(cooldownSeconds: $0) }
        default: return nil
        }
    }
}
