/// Input quoted back in a message, cut short: a huge value (a 60 KB query parameter, a 15 MB "header" line) never
/// floods a response, a terminal or a log.
public enum Echo {
    /// The most characters of input a message quotes.
    public static let limit = 64

    /// `text`, or its first `limit` characters followed by "…".
    public static func text(_ text: some StringProtocol, limit: Int = Echo.limit) -> String {
        guard let end = text.index(text.startIndex, offsetBy: limit, limitedBy: text.endIndex), end < text.endIndex
        else { return String(text) }
        return String(text[..<end]) + "…"
    }

    /// The UTF-8 bytes `bytes` as text, cut like `text(_:limit:)`.
    public static func bytes(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int = Echo.limit) -> String {
        // At most 4 bytes a character: enough bytes for `limit` characters, and one more to tell it was cut.
        self.text(String(decoding: bytes.prefix(4 * limit + 4), as: UTF8.self), limit: limit)
    }
}
