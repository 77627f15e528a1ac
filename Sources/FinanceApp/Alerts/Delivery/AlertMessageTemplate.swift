import Foundation
import Mustache

/// An alert's message template (mustache, rendered as plain text: nothing is HTML-escaped, and a viewer escapes the
/// message for its own medium). Placeholders: `{{symbol}}`, `{{price}}`, `{{condition}}`, `{{time}}` (ISO-8601 UTC),
/// `{{value}}`, `{{name}}`; sections such as `{{#price}}…{{/price}}` work as in mustache. Partials, lambdas and
/// other names render nothing. Rendering never fails: a template that does not parse (refused when the alert is
/// saved, see `validate`) falls back to the default message.
public enum AlertMessageTemplate {
    /// The longest template accepted, in characters.
    public static let maxLength = 1_000
    /// The longest message sent, in characters (longer renders are cut, with `…`).
    public static let maxMessageLength = 2_000
    /// The names a template may use.
    public static let placeholders = ["symbol", "price", "condition", "time", "value", "name"]

    /// Why a template is refused: a text for a 422 naming the `message` field.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Checks a template: nil when it renders, else the problem (too long, a tag that does not parse with its line
    /// and column, or a name that is no placeholder).
    public static func validate(_ template: String) -> Problem? {
        if template.count > Self.maxLength {
            return Problem(description: "longer than \(Self.maxLength) characters")
        }
        do {
            let parsed = try Self.parse(template)
            // Once with every name present (sections open) and once with none (inverted sections open).
            let present = NameRecorder(answers: true)
            let absent = NameRecorder(answers: false)
            _ = parsed.render(present)
            _ = parsed.render(absent)
            if let unknown = (present.names + absent.names).first(where: { !Self.placeholders.contains($0) }) {
                let name = unknown.count > 32 ? String(unknown.prefix(32)) + "…" : unknown
                return Problem(
                    description:
                        "unknown placeholder {{\(name)}} (known: \(Self.placeholders.map { "{{\($0)}}" }.joined(separator: ", ")))"
                )
            }
            return nil
        } catch let error as MustacheTemplate.ParserError {
            // The pragma prefix `parse` adds sits on line 1.
            let column =
                error.context.lineNumber == 1
                ? error.context.columnNumber - Self.pragma.count : error.context.columnNumber
            return Problem(
                description:
                    "template error at line \(error.context.lineNumber), column \(max(1, column)): \(Self.explain(error.error))"
            )
        } catch {
            return Problem(description: "template error: \(Self.explain(error))")
        }
    }

    /// The message of `notification` from `template`, or the default message when the template is nil, empty or
    /// does not parse.
    public static func render(_ template: String?, for notification: AlertNotification) -> String {
        let values = Self.values(notification)
        guard let template, !template.isEmpty, template.count <= Self.maxLength,
            let parsed = try? Self.parse(template)
        else { return Self.defaultMessage(notification) }
        let text = parsed.render(values)
        guard text.count > Self.maxMessageLength else { return text }
        return String(text.prefix(Self.maxMessageLength - 1)) + "…"
    }

    /// The default message: `BTC price_crossing_up 50000 (price 50012.5) at 2026-12-07T15:00:00Z`, prefixed with
    /// the alert's name.
    public static func defaultMessage(_ notification: AlertNotification) -> String {
        let values = Self.values(notification)
        var text = "\(notification.name): "
        if let symbol = notification.symbol { text += "\(symbol) " }
        text += "\(notification.condition) \(values["value"] ?? "")"
        if let price = values["price"] { text += " (price \(price))" }
        text += " at \(values["time"] ?? "")"
        return text
    }

    /// The placeholders' texts: numbers without a needless `.0`, the time in ISO-8601 UTC.
    static func values(_ n: AlertNotification) -> [String: String] {
        var values = [
            "condition": n.condition, "value": Self.number(n.value), "time": Self.isoTime(n.ts), "name": n.name,
        ]
        if let symbol = n.symbol { values["symbol"] = symbol }
        if let price = n.price { values["price"] = Self.number(price) }
        return values
    }

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return String(value) }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }

    static func isoTime(_ ms: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(ms) / 1_000)
        return date.formatted(.iso8601)
    }

    /// Templates render as text: no HTML escaping.
    private static let pragma = "{{%CONTENT_TYPE:TEXT}}"

    private static func parse(_ template: String) throws -> MustacheTemplate {
        try MustacheTemplate(string: Self.pragma + template)
    }

    private static func explain(_ error: any Error) -> String {
        guard let error = error as? MustacheTemplate.Error else { return "does not parse" }
        switch error {
        case .sectionCloseNameIncorrect: return "a section closes with another name than it opened"
        case .unfinishedName: return "a tag is not closed"
        case .expectedSectionEnd: return "a section is not closed"
        case .invalidSetDelimiter: return "invalid set-delimiter tag"
        case .invalidConfigVariableSyntax, .unrecognisedConfigVariable: return "invalid pragma tag"
        case .transformAppliedToInheritanceSection, .illegalTokenInsideInheritSection, .textInsideInheritSection:
            return "invalid inheritance section"
        }
    }
}

/// A render context that records every name a template asks for, so `validate` can name the unknown ones. It
/// answers every name with itself (so sections render their content) or with nothing (so inverted sections do).
private final class NameRecorder: MustacheParent, @unchecked Sendable {
    var names: [String] = []
    let answers: Bool

    init(answers: Bool) { self.answers = answers }

    func child(named name: String) -> Any? {
        // A template nesting sections deeply asks for many names; a few hundred are plenty to judge it.
        if self.names.count < 1_000 { self.names.append(name) }
        return self.answers ? self : nil
    }
}
