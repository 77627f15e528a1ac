import Foundation

/// An email as sent: headers, then a `multipart/alternative` body of a text part and, when given, an
/// `application/json` part (the notification). Both parts are base64 unless the text is short-lined ASCII, so the
/// message is 7-bit clean whatever the server offers.
public struct MailMessage: Hashable, Sendable {
    public var from: String
    public var to: [String]
    public var subject: String
    public var text: String
    public var json: String?
    /// Added as `X-FinanceHub-Delivery` and used in `Message-ID`.
    public var deliveryId: String?
    /// Milliseconds since the epoch (`Date:`).
    public var date: Int64
    /// The multipart boundary (random by default).
    public var boundary: String

    public init(
        from: String, to: [String], subject: String, text: String, json: String? = nil, deliveryId: String? = nil,
        date: Int64, boundary: String = "financehub-" + UUID().uuidString
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.json = json
        self.deliveryId = deliveryId
        self.date = date
        self.boundary = boundary
    }

    /// The message with CRLF line endings (not yet dot-stuffed), ending with CRLF.
    public func rendered() -> String {
        var lines = [
            "From: <\(self.from)>",
            "To: " + self.to.map { "<\($0)>" }.joined(separator: ", "),
            "Subject: " + Self.encodedHeader(self.subject),
            "Date: " + Self.rfc5322Date(self.date),
            "Message-ID: <\(Self.token(self.deliveryId ?? UUID().uuidString))@financehub>",
            "MIME-Version: 1.0",
        ]
        if let id = self.deliveryId { lines.append("X-FinanceHub-Delivery: \(Self.token(id))") }
        lines.append("Content-Type: multipart/alternative; boundary=\"\(self.boundary)\"")
        lines.append("")
        lines.append("--\(self.boundary)")
        lines += Self.part(contentType: "text/plain; charset=utf-8", content: self.text, allowPlain: true)
        if let json = self.json {
            lines.append("--\(self.boundary)")
            lines += Self.part(contentType: "application/json; charset=utf-8", content: json, allowPlain: false)
        }
        lines.append("--\(self.boundary)--")
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Doubles the leading dot of every line (RFC 5321 §4.5.2), so no line of the message ends the DATA early.
    /// Line endings become CRLF.
    public static func dotStuffed(_ text: String) -> String {
        let lines = Self.lines(text)
        return lines.map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n") + "\r\n"
    }

    /// One part: its headers, a blank line and the content (7-bit text when allowed and possible, else base64).
    private static func part(contentType: String, content: String, allowPlain: Bool) -> [String] {
        let plainLines = Self.lines(content)
        let plain =
            allowPlain
            && content.unicodeScalars.allSatisfy { $0.isASCII && ($0.value >= 32 || $0 == "\n" || $0 == "\r") }
            && plainLines.allSatisfy { $0.utf8.count <= 998 }
        if plain {
            return ["Content-Type: \(contentType)", "Content-Transfer-Encoding: 7bit", ""] + plainLines
        }
        let encoded = Data(content.utf8).base64EncodedString(options: [
            .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
        ])
        return ["Content-Type: \(contentType)", "Content-Transfer-Encoding: base64", ""]
            + encoded.components(separatedBy: "\r\n")
    }

    /// The text's lines, whatever its line endings.
    private static func lines(_ text: String) -> [String] {
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .components(separatedBy: "\n")
        if lines.count > 1 && lines.last == "" { lines.removeLast() }
        return lines
    }

    /// A header value on one line: printable ASCII as it is, anything else as RFC 2047 encoded words.
    static func encodedHeader(_ value: String) -> String {
        let flat = String(value.map { $0.isNewline || $0 == "\t" ? " " : $0 }.prefix(200))
        if flat.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 && $0.value < 127 }) { return flat }
        // Whole characters into words of at most 39 bytes (52 base64 characters: a 64-character encoded word),
        // folded onto continuation lines.
        var words: [String] = []
        var chunk = ""
        for character in flat {
            if !chunk.isEmpty && chunk.utf8.count + String(character).utf8.count > 39 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?" + Data($0.utf8).base64EncodedString() + "?=" }.joined(separator: "\r\n ")
    }

    /// Letters, digits, `-`, `_` and `.` of `text` (a Message-ID or header token).
    private static func token(_ text: String) -> String {
        String(
            text.unicodeScalars.filter {
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
            }.prefix(128).map(Character.init))
    }

    /// `Mon, 07 Dec 2026 15:04:05 +0000`.
    static func rfc5322Date(_ ms: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1_000))
    }
}

/// The email addresses alerts are sent to and from: `local@domain`, printable ASCII without spaces, angle brackets,
/// quotes or line breaks, at most 254 characters.
public enum MailAddress {
    public static func isValid(_ address: String) -> Bool {
        guard (3...254).contains(address.utf8.count),
            address.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0.value < 127 }),
            !address.contains(where: { "<>()[]\\,;:\"".contains($0) })
        else { return false }
        guard let at = address.lastIndex(of: "@") else { return false }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        return !local.isEmpty && local.utf8.count <= 64 && !local.contains("@") && !domain.isEmpty
            && !domain.hasPrefix(".") && !domain.hasSuffix(".") && !domain.contains("..")
    }
}
