import FinanceCore

extension JSONParser {
    /// Reads a well-formed tick batch straight into ticks, or nil when the body is anything else.
    ///
    /// The common body of `POST /api/ticks` (an array of flat objects with the tick fields, each of the right type)
    /// skips building a `JSONValue` tree of dictionaries keyed by strings, which cost about a tenth of the server's
    /// time under a tick load. It gives the same ticks as `JSONParser.parse` followed by the field checks of
    /// `MarketDataController.readTicks`; on anything those would report or treat otherwise (a syntax error, an
    /// unknown, repeated, missing or mistyped field, an escape in a key, a time given as text, more than
    /// `maxItems` items) it answers nil and the caller takes the general path, which says what is wrong.
    static func ticks(_ bytes: UnsafeBufferPointer<UInt8>, maxItems: Int) -> [Tick]? {
        var parser = JSONParser(bytes)
        return parser.tickArray(maxItems: maxItems)
    }

    /// The tick fields, in the order of `TickField`'s raw values.
    private static let tickFieldNames: [[UInt8]] = [
        "symbol", "ts", "price", "size", "bid", "ask", "bidSize", "askSize",
    ].map { Array($0.utf8) }

    private mutating func tickArray(maxItems: Int) -> [Tick]? {
        self.skipSpace()
        guard !self.atEnd, self.bytes[self.i] == UInt8(ascii: "[") else { return nil }
        self.i += 1
        var ticks: [Tick] = []
        ticks.reserveCapacity(min(maxItems, self.bytes.count / 32))
        self.skipSpace()
        if !self.atEnd, self.bytes[self.i] == UInt8(ascii: "]") {
            self.i += 1
        } else {
            while true {
                guard ticks.count < maxItems else { return nil }
                self.skipSpace()
                guard let tick = self.tickObject() else { return nil }
                ticks.append(tick)
                self.skipSpace()
                guard !self.atEnd else { return nil }
                if self.bytes[self.i] == UInt8(ascii: ",") {
                    self.i += 1
                } else if self.bytes[self.i] == UInt8(ascii: "]") {
                    self.i += 1
                    break
                } else {
                    return nil
                }
            }
        }
        self.skipSpace()
        return self.atEnd ? ticks : nil
    }

    /// One object of tick fields; nil unless it has `symbol`, `ts` and `price` and every field has its type.
    private mutating func tickObject() -> Tick? {
        guard !self.atEnd, self.bytes[self.i] == UInt8(ascii: "{") else { return nil }
        self.i += 1
        var symbol: String?
        var ts: Int64?
        var price: Double?
        var optional = OptionalTickFields()
        var seen: UInt8 = 0
        self.skipSpace()
        if !self.atEnd, self.bytes[self.i] == UInt8(ascii: "}") { return nil }
        while true {
            self.skipSpace()
            guard let field = self.tickKey(), seen & (1 << field) == 0 else { return nil }
            seen |= 1 << field
            self.skipSpace()
            guard !self.atEnd, self.bytes[self.i] == UInt8(ascii: ":") else { return nil }
            self.i += 1
            self.skipSpace()
            guard !self.atEnd else { return nil }
            let first = self.bytes[self.i]
            guard first != UInt8(ascii: "{"), first != UInt8(ascii: "[") else { return nil }
            guard let value = try? self.value(depth: 1) else { return nil }
            switch (field, value) {
            case (0, .string(let s)): symbol = s
            case (1, .integer(let n)): ts = Timestamp.milliseconds(fromInteger: n)
            case (1, .number(let d)):
                guard let ms = Timestamp.milliseconds(fromNumber: d) else { return nil }
                ts = ms
            case (2, .integer(let n)): price = Double(n)
            case (2, .number(let d)) where d.isFinite: price = d
            case (3..., .integer(let n)): optional.set(field, Double(n))
            case (3..., .number(let d)) where d.isFinite: optional.set(field, d)
            case (3..., .null): break
            default: return nil
            }
            self.skipSpace()
            guard !self.atEnd else { return nil }
            if self.bytes[self.i] == UInt8(ascii: ",") {
                self.i += 1
            } else if self.bytes[self.i] == UInt8(ascii: "}") {
                self.i += 1
                break
            } else {
                return nil
            }
        }
        guard let symbol, let ts, let price else { return nil }
        return Tick(
            symbol: symbol, ts: ts, price: price, size: optional.size, bid: optional.bid, ask: optional.ask,
            bidSize: optional.bidSize, askSize: optional.askSize)
    }

    /// The optional numbers of a tick, set by their index in `tickFieldNames` (without an array per tick).
    private struct OptionalTickFields {
        var size: Double?
        var bid: Double?
        var ask: Double?
        var bidSize: Double?
        var askSize: Double?

        mutating func set(_ field: UInt8, _ value: Double) {
            switch field {
            case 3: self.size = value
            case 4: self.bid = value
            case 5: self.ask = value
            case 6: self.bidSize = value
            default: self.askSize = value
            }
        }
    }

    /// The index in `tickFieldNames` of the key at the cursor (a string without escapes), moving past it.
    private mutating func tickKey() -> UInt8? {
        guard !self.atEnd, self.bytes[self.i] == UInt8(ascii: "\"") else { return nil }
        let start = self.i + 1
        var end = start
        while end < self.bytes.count, self.bytes[end] != UInt8(ascii: "\"") {
            if self.bytes[end] == UInt8(ascii: "\\") { return nil }
            end += 1
        }
        guard end < self.bytes.count else { return nil }
        let key = UnsafeBufferPointer(rebasing: self.bytes[start..<end])
        guard let index = Self.tickFieldNames.firstIndex(where: { $0.elementsEqual(key) }) else { return nil }
        self.i = end + 1
        return UInt8(index)
    }
}
