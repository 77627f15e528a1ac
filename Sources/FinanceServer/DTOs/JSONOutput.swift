import NIOCore

/// A response body written straight to bytes, for the hot routes (`GET /api/quotes`, `GET /api/bars`): the same
/// bytes `HTTP.encoder` (a `JSONEncoder` with sorted keys and unescaped slashes) writes for the same value, without
/// its intermediate tree (encoding a quote that way took an eighth of the server's time under a quote load).
/// A type writes its keys in sorted order and leaves out nil values, as the synthesized `Encodable` does.
protocol JSONOutputWritable: Encodable {
    func write(to json: inout JSONOutput) throws
}

/// The writer: objects, arrays, keys and values, with the comma bookkeeping.
struct JSONOutput {
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    init(capacity: Int = 256) {
        self.bytes.reserveCapacity(capacity)
    }

    /// Not a JSON number (NaN or infinite): `JSONEncoder` refuses these too.
    struct NonFiniteNumber: Error {}

    mutating func beginObject() {
        self.separate()
        self.bytes.append(UInt8(ascii: "{"))
        self.needsComma = false
    }

    mutating func endObject() {
        self.bytes.append(UInt8(ascii: "}"))
        self.needsComma = true
    }

    mutating func beginArray() {
        self.separate()
        self.bytes.append(UInt8(ascii: "["))
        self.needsComma = false
    }

    mutating func endArray() {
        self.bytes.append(UInt8(ascii: "]"))
        self.needsComma = true
    }

    /// A key (the next value is its value).
    mutating func key(_ name: StaticString) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { self.bytes.append(contentsOf: $0) }
        self.bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        self.needsComma = false
    }

    /// A key known only at run time (a channel name), escaped like a string value.
    mutating func key(dynamic name: String) {
        self.value(name)
        self.bytes.append(UInt8(ascii: ":"))
        self.needsComma = false
    }

    mutating func value(_ flag: Bool) {
        self.separate()
        self.bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        self.needsComma = true
    }

    mutating func value(_ number: Double) throws {
        guard number.isFinite else { throw NonFiniteNumber() }
        self.separate()
        // JSONEncoder's form: the shortest round-trip text, without a trailing ".0".
        var text = number.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        self.bytes.append(contentsOf: text.utf8)
        self.needsComma = true
    }

    mutating func value(_ number: Int64) {
        self.separate()
        self.bytes.append(contentsOf: number.description.utf8)
        self.needsComma = true
    }

    mutating func value(_ text: String) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): self.bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): self.bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x08: self.bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: self.bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0A: self.bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: self.bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: self.bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Self.hexDigits
                self.bytes.append(contentsOf: [
                    0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)],
                ])
            default: self.bytes.append(byte)
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    /// Hands over the bytes written so far and starts empty (keeping its capacity), for a body written in chunks; the
    /// comma bookkeeping carries on, so the chunks join into the same text.
    mutating func takeBytes() -> ByteBuffer {
        let buffer = ByteBuffer(bytes: self.bytes)
        self.bytes.removeAll(keepingCapacity: true)
        return buffer
    }

    /// A key and an optional number, left out when nil.
    mutating func field(_ name: StaticString, _ number: Double?) throws {
        guard let number else { return }
        self.key(name)
        try self.value(number)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private mutating func separate() {
        if self.needsComma { self.bytes.append(UInt8(ascii: ",")) }
    }
}

extension BarDTO: JSONOutputWritable {
    func write(to json: inout JSONOutput) throws {
        json.beginObject()
        json.key("close")
        try json.value(self.close)
        json.key("high")
        try json.value(self.high)
        json.key("low")
        try json.value(self.low)
        json.key("open")
        try json.value(self.open)
        json.key("ts")
        json.value(self.ts)
        json.key("volume")
        try json.value(self.volume)
        json.endObject()
    }
}

extension BarsDTO: JSONOutputWritable {
    func write(to json: inout JSONOutput) throws {
        json.beginObject()
        json.key("bars")
        json.beginArray()
        for bar in self.bars { try bar.write(to: &json) }
        json.endArray()
        json.key("interval")
        json.value(self.interval)
        json.key("symbol")
        json.value(self.symbol)
        json.endObject()
    }
}

extension QuoteDTO: JSONOutputWritable {
    func write(to json: inout JSONOutput) throws {
        json.beginObject()
        try json.field("ask", self.ask)
        try json.field("bid", self.bid)
        try json.field("change", self.change)
        if let basis = self.changeBasis {
            json.key("changeBasis")
            json.value(basis)
        }
        try json.field("changePercent", self.changePercent)
        try json.field("high", self.high)
        try json.field("low", self.low)
        try json.field("open", self.open)
        json.key("price")
        try json.value(self.price)
        if let source = self.source {
            json.key("source")
            json.value(source)
        }
        json.key("symbol")
        json.value(self.symbol)
        json.key("ts")
        json.value(self.ts)
        try json.field("volume", self.volume)
        json.endObject()
    }
}
