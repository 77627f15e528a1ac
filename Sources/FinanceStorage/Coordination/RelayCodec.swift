import FinanceCore

/// The relay's payloads: compact text, one message a line, each payload under PostgreSQL's NOTIFY limit.
///
/// ```
/// fh1 3f9a0c51d2e4 812                 version, sending instance, payload sequence number
/// t BTC 1717000000000 67000.5 0.01     a tick: symbol, ts, price [size [bid [ask [bidSize [askSize]]]]]
/// t * 250 67001 - 67000 67002          "*": the symbol of the line before; ts: the difference to the line before;
///                                      "-": a missing value; integral numbers without ".0"
/// b * 1m -60250 10 11 9 10.5 300       a bar: symbol, interval, ts, open, high, low, close, volume [batchStart]
/// a alice {"type":"alert",...}         an alert notification for a user: the rest of the line is its JSON
/// r j 5b0e8d6c-...                     a revoked access token by jti; `r u alice`: every token of a user
/// c 0f1e2d3c-...                       an alert created, changed or deleted: its id
/// ```
///
/// The sequence number makes every payload distinct: PostgreSQL delivers identical payloads sent on one channel in
/// one transaction only once. A tick takes 20-40 bytes, so a payload holds 200-400 of them.
public enum RelayCodec {
    /// The first word of every payload.
    public static let version = "fh1"
    /// PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more.
    public static let maxPayloadBytes = 7_999

    /// One decoded payload.
    public struct Payload: Sendable, Equatable {
        public var instance: String
        public var sequence: UInt64
        public var messages: [RelayMessage]

        public init(instance: String, sequence: UInt64, messages: [RelayMessage]) {
            self.instance = instance
            self.sequence = sequence
            self.messages = messages
        }
    }

    /// Packs `messages`, in order, into payload bodies that fit `maxBytes` once `header(instance:sequence:)` (with
    /// any sequence number) is put in front. Returns the bodies with the number of messages each holds, and how many
    /// messages were skipped (too large for a payload alone, or a name that cannot be written).
    public static func pack(_ messages: [RelayMessage], instance: String, maxBytes: Int = maxPayloadBytes) -> (
        bodies: [(text: String, count: Int)], rejected: Int
    ) {
        // The header with the longest sequence number, and its newline.
        let budget = maxBytes - (version.utf8.count + 1 + instance.utf8.count + 1 + 20 + 1)
        var bodies: [(text: String, count: Int)] = []
        var rejected = 0
        var writer = BodyWriter()
        for message in messages {
            let mark = writer.mark
            guard writer.write(message) else {
                writer.restore(mark)
                rejected += 1
                continue
            }
            guard writer.bytes.count > budget else { continue }
            // Over the budget: this message starts the next payload (where it is written afresh, with its own
            // symbol and time, since those are relative to the line before).
            writer.restore(mark)
            if writer.count > 0 {
                bodies.append((String(decoding: writer.bytes, as: UTF8.self), writer.count))
                writer = BodyWriter()
            }
            if writer.write(message), writer.bytes.count <= budget { continue }
            writer = BodyWriter()
            rejected += 1
        }
        if writer.count > 0 { bodies.append((String(decoding: writer.bytes, as: UTF8.self), writer.count)) }
        return (bodies, rejected)
    }

    /// The first line of a payload.
    public static func header(instance: String, sequence: UInt64) -> String {
        "\(version) \(instance) \(sequence)\n"
    }

    /// Reads a payload; nil when it is not a whole payload of this version (nothing of it is used then).
    public static func decode(_ payload: String) -> Payload? {
        var lines = payload.split(separator: "\n", omittingEmptySubsequences: false)[...]
        guard let head = lines.popFirst() else { return nil }
        let words = head.split(separator: " ", omittingEmptySubsequences: false)
        guard words.count == 3, words[0] == version, !words[1].isEmpty, let sequence = UInt64(words[2]) else {
            return nil
        }
        var reader = LineReader()
        var messages: [RelayMessage] = []
        messages.reserveCapacity(lines.count)
        for line in lines {
            guard let message = reader.read(line) else { return nil }
            messages.append(message)
        }
        return Payload(instance: String(words[1]), sequence: sequence, messages: messages)
    }

    /// True for a word that fits a line: not empty, no spaces or control characters, not the `*` placeholder.
    static func isWord(_ text: String) -> Bool {
        !text.isEmpty && text != "*" && !text.utf8.contains { $0 <= 0x20 || $0 == 0x7F }
    }
}

/// Writes the lines of one payload body, each relative to the line before.
struct BodyWriter {
    var bytes: [UInt8] = []
    /// Messages written.
    var count = 0
    private var symbol: String?
    private var ts: Int64 = 0

    /// Where the body stands, to go back to when a message does not fit.
    struct Mark {
        var bytes: Int
        var count: Int
        var symbol: String?
        var ts: Int64
    }

    init() { self.bytes.reserveCapacity(RelayCodec.maxPayloadBytes) }

    var mark: Mark { Mark(bytes: self.bytes.count, count: self.count, symbol: self.symbol, ts: self.ts) }

    /// Goes back to `mark`, dropping what was written since.
    mutating func restore(_ mark: Mark) {
        self.bytes.removeLast(self.bytes.count - mark.bytes)
        self.count = mark.count
        self.symbol = mark.symbol
        self.ts = mark.ts
    }

    /// Writes one message as a line; false (with the body partly written: `restore` a mark) when it cannot be.
    mutating func write(_ message: RelayMessage) -> Bool {
        if self.count > 0 { self.bytes.append(UInt8(ascii: "\n")) }
        self.count += 1
        switch message {
        case .market(.tick(let t)):
            guard self.market("t", t.symbol) else { return false }
            self.time(t.ts)
            self.number(t.price)
            // Trailing missing values are left out; a missing value before a present one is "-".
            let optional = [t.size, t.bid, t.ask, t.bidSize, t.askSize]
            let present = optional.lastIndex { $0 != nil }.map { $0 + 1 } ?? 0
            for value in optional.prefix(present) { self.number(value) }
        case .market(.bar(let symbol, let interval, let bar, let batchStart)):
            guard self.market("b", symbol) else { return false }
            self.word(interval.name)
            self.time(bar.ts)
            for value in [bar.open, bar.high, bar.low, bar.close, bar.volume] { self.number(value) }
            if let batchStart { self.word(String(batchStart)) }
        case .alert(let user, let body):
            guard User.normalizeName(user) == user, !body.isEmpty, !body.utf8.contains(0) else { return false }
            self.bytes += "a ".utf8
            self.bytes += user.utf8
            self.bytes.append(UInt8(ascii: " "))
            // Whitespace between JSON tokens may be any; a line break inside a JSON string is always escaped.
            for byte in body.utf8 {
                self.bytes.append(byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") ? UInt8(ascii: " ") : byte)
            }
        case .revoke(let revocation):
            let (kind, value) =
                switch revocation {
                case .token(let jti): ("j", jti)
                case .user(let user): ("u", user)
                }
            guard RelayCodec.isWord(value) else { return false }
            self.bytes += "r \(kind) \(value)".utf8
        case .alertChanged(let id):
            guard RelayCodec.isWord(id) else { return false }
            self.bytes += "c \(id)".utf8
        }
        return true
    }

    /// The kind letter and the symbol (`*` when it repeats the line before's); false for a symbol that is not
    /// canonical (the reader would refuse the whole payload).
    private mutating func market(_ kind: String, _ symbol: String) -> Bool {
        if symbol == self.symbol {
            self.bytes += kind.utf8
            self.bytes += " *".utf8
        } else {
            guard Symbol.normalize(symbol) == symbol else { return false }
            self.bytes += kind.utf8
            self.bytes.append(UInt8(ascii: " "))
            self.bytes += symbol.utf8
            self.symbol = symbol
        }
        return true
    }

    private mutating func time(_ ts: Int64) {
        self.word(String(ts &- self.ts))
        self.ts = ts
    }

    private mutating func word(_ text: String) {
        self.bytes.append(UInt8(ascii: " "))
        self.bytes += text.utf8
    }

    private mutating func number(_ value: Double?) {
        guard let value else { return self.word("-") }
        if value == value.rounded(.towardZero), abs(value) < 1e15 {
            self.word(String(Int64(value)))
        } else {
            self.word(value.description)
        }
    }
}

/// Reads the lines of one payload body, each relative to the line before.
struct LineReader {
    private var symbol: String?
    private var ts: Int64 = 0

    mutating func read(_ line: Substring) -> RelayMessage? {
        guard line.count >= 3, line.utf8.dropFirst().first == UInt8(ascii: " ") else { return nil }
        switch line.first ?? " " {
        case "t":
            let f = line.split(separator: " ", omittingEmptySubsequences: false)
            guard (4...9).contains(f.count), let symbol = self.symbol(f[1]), let ts = self.time(f[2]),
                let price = Self.number(f[3]), let rest = Self.optionals(f[4...])
            else { return nil }
            let o = rest + Array(repeating: nil, count: 5 - rest.count)
            return .market(
                .tick(
                    Tick(
                        symbol: symbol, ts: ts, price: price, size: o[0], bid: o[1], ask: o[2], bidSize: o[3],
                        askSize: o[4])))
        case "b":
            let f = line.split(separator: " ", omittingEmptySubsequences: false)
            guard (9...10).contains(f.count), let symbol = self.symbol(f[1]), let interval = Interval(String(f[2])),
                let ts = self.time(f[3])
            else { return nil }
            let values = f[4..<9].compactMap { Self.number($0) }
            guard values.count == 5 else { return nil }
            var batchStart: Int64?
            if f.count == 10 {
                guard let start = Int64(f[9]), Timestamp.isValid(start) else { return nil }
                batchStart = start
            }
            let bar = Bar(ts: ts, open: values[0], high: values[1], low: values[2], close: values[3], volume: values[4])
            return .market(.bar(symbol: symbol, interval: interval, bar: bar, batchStart: batchStart))
        case "a":
            let f = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3, User.normalizeName(String(f[1])) == String(f[1]), !f[2].isEmpty else { return nil }
            return .alert(user: String(f[1]), body: String(f[2]))
        case "r":
            let f = line.split(separator: " ", omittingEmptySubsequences: false)
            guard f.count == 3, RelayCodec.isWord(String(f[2])) else { return nil }
            switch f[1] {
            case "j": return .revoke(.token(jti: String(f[2])))
            case "u": return .revoke(.user(String(f[2])))
            default: return nil
            }
        case "c":
            let f = line.split(separator: " ", omittingEmptySubsequences: false)
            guard f.count == 2, RelayCodec.isWord(String(f[1])) else { return nil }
            return .alertChanged(id: String(f[1]))
        default:
            return nil
        }
    }

    /// The line's symbol: `*` repeats the line before's; any other must be a canonical symbol.
    private mutating func symbol(_ word: Substring) -> String? {
        if word == "*" { return self.symbol }
        let symbol = String(word)
        guard Symbol.normalize(symbol) == symbol else { return nil }
        self.symbol = symbol
        return symbol
    }

    private mutating func time(_ word: Substring) -> Int64? {
        guard let delta = Int64(word) else { return nil }
        let (ts, overflow) = self.ts.addingReportingOverflow(delta)
        guard !overflow, Timestamp.isValid(ts) else { return nil }
        self.ts = ts
        return ts
    }

    private static func number(_ word: Substring) -> Double? {
        guard let value = Double(word), value.isFinite else { return nil }
        return value
    }

    /// Up to five optional numbers, `-` for a missing one; nil when one is neither.
    private static func optionals(_ words: ArraySlice<Substring>) -> [Double?]? {
        var out: [Double?] = []
        for word in words {
            if word == "-" {
                out.append(nil)
            } else {
                guard let value = Self.number(word) else { return nil }
                out.append(value)
            }
        }
        return out
    }
}
