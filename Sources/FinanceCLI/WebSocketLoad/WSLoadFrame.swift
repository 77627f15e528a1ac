/// What the WebSocket load tool reads from a server frame: whether it is a price message and its `ts`, found by a
/// byte scan (no JSON decoding, so the client side stays cheap at hundreds of thousands of frames a second).
enum WSLoadFrame {
    /// A frame's meaning for the count.
    enum Kind: Equatable {
        /// A price message with its tick time (ms since epoch).
        case price(ts: Int64)
        /// Anything else (heartbeat, error, subscribed, a price without a readable `ts`).
        case other
    }

    private static let priceType = Array(#""type":"price""#.utf8)
    private static let tsKey = Array(#""ts":"#.utf8)

    /// Classifies the bytes of one text frame: `{"type":"price",...,"ts":N,...}` is a price at `N`.
    static func classify(_ bytes: UnsafeRawBufferPointer) -> Kind {
        guard Self.find(Self.priceType, in: bytes, from: 0) != nil,
            let key = Self.find(Self.tsKey, in: bytes, from: 0)
        else { return .other }
        var index = key + Self.tsKey.count
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        var value: Int64 = 0
        var digits = 0
        while index < bytes.count, digits < 18 {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            digits += 1
            index += 1
        }
        return digits == 0 ? .other : .price(ts: value)
    }

    /// Classifies a string (tests and tools).
    static func classify(_ text: String) -> Kind {
        var text = text
        return text.withUTF8 { Self.classify(UnsafeRawBufferPointer($0)) }
    }

    /// The offset of the first occurrence of `needle` in `bytes` at or after `start`.
    private static func find(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let first = needle.first, bytes.count >= needle.count else { return nil }
        var index = start
        let last = bytes.count - needle.count
        while index <= last {
            if bytes[index] == first {
                var matched = 1
                while matched < needle.count, bytes[index + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return index }
            }
            index += 1
        }
        return nil
    }
}
