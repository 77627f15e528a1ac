import FinanceApp
import FinanceCore

/// A `POST /api/alerts/test` body, parsed and checked on its own: `{"alertId"}` (one of the caller's alerts) or
/// `{"alert": {...}}` (a whole alert body, checked as `POST /api/alerts` checks it, pointers under `/alert`), and
/// optionally `"channels": [...]` replacing the alert's (pointers `/channels/<i>/...`).
struct AlertTestBody {
    enum Source {
        case stored(id: String)
        case inline(AlertBody)
    }

    var source: Source
    var channels: [AlertChannelInput]?

    static let members: Set<String> = ["alertId", "alert", "channels"]

    /// The body `value` describes, or a `ValidationError` listing every problem with its JSON pointer.
    static func parse(_ value: JSONValue, rules: AlertBody.Rules) throws -> AlertTestBody {
        var r = NestedReader()
        guard let o = r.object(value, at: []) else { throw ValidationError(r.issues) }
        r.rejectUnknown(o, known: Self.members, at: [])
        var source: Source?
        switch (o["alertId"], o["alert"]) {
        case (_?, nil):
            source = r.text(o, "alertId", at: [], required: true, maxLength: 64).map { Source.stored(id: $0) }
        case (nil, let alert?):
            do {
                source = .inline(try AlertBody.parse(alert, rules: rules))
            } catch let error as ValidationError {
                r.issues += error.issues.map(Self.underAlert)
            }
        case (_?, _?):
            r.fail(["alert"], "give alertId or alert, not both")
        default:
            r.fail([], "the body needs alertId (one of your alerts) or alert (a whole alert body)")
        }
        var channels: [AlertChannelInput?]?
        if let items = r.array(o["channels"], at: ["channels"], count: 1...AlertBody.maxChannels, required: false) {
            channels = items.enumerated().map { i, item in AlertBody.channel(&r, item, at: ["channels", String(i)]) }
        }
        guard r.issues.isEmpty, let source else { throw ValidationError(r.issues) }
        return AlertTestBody(source: source, channels: channels?.compactMap { $0 })
    }

    /// An issue of the inner alert body, its pointer moved under `/alert`.
    static func underAlert(_ issue: ValidationIssue) -> ValidationIssue {
        var path = ["alert"]
        if let inner = issue.path {
            path += inner
        } else {
            if let index = issue.index { path.append(String(index)) }
            if !issue.field.isEmpty { path.append(issue.field) }
        }
        return ValidationIssue(path: path, detail: issue.detail)
    }
}
