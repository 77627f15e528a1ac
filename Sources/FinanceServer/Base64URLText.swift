import Foundation

/// base64url without padding (RFC 4648 §5): the text form of the API's opaque list cursors.
enum Base64URLText {
    static func encode(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The UTF-8 text `encoded` holds, nil when it is empty, longer than `maxLength` characters, or not base64url.
    static func decode(_ encoded: String, maxLength: Int) -> String? {
        guard (1...maxLength).contains(encoded.utf8.count) else { return nil }
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { return nil }
        return String(data: data, encoding: .utf8)
    }
}
