import AsyncHTTPClient
import FinanceCore
import Foundation
import Logging

/// Alpha Vantage (`https://www.alphavantage.co/query?function=...&apikey=KEY`): quotes (`GLOBAL_QUOTE`) and daily
/// bars (`TIME_SERIES_DAILY`).
///
/// Alpha Vantage answers its errors inside HTTP 200, recognised by their keys: `Information` or `Note` is the quota
/// reply (→ `rateLimited`), `Error Message` a bad call (→ `unknownSymbol`, or `unauthorized` when it is about the
/// key), an empty `Global Quote` an unknown symbol. A quote's `07. latest trading day` is a date, not a time, so
/// a quote is stamped with the fetch time.
public struct AlphaVantageProvider: QuoteProvider, BarHistoryProvider {
    public let name = "alphavantage"
    public let capabilities: Set<ProviderCapability> = [.quote, .barsHistory]
    public static let defaultBaseURL = "https://www.alphavantage.co"
    /// `outputsize=compact` returns the last 100 trading days; a range starting further back asks for `full`.
    public static let compactDays: Int64 = 100

    let http: ProviderHTTP
    let now: @Sendable () -> Int64

    /// - Parameters:
    ///   - baseURL: the host (`providers.alphavantage.baseUrl`); the adapter appends `/query`.
    ///   - now: the clock quotes are stamped with (ms since the epoch).
    public init(
        client: HTTPClient, baseURL: String = AlphaVantageProvider.defaultBaseURL, timeoutSeconds: Double = 5,
        logger: Logger = Logger(label: "financehub.providers.alphavantage"),
        now: @escaping @Sendable () -> Int64 = { SystemClock().nowMilliseconds() }
    ) {
        self.http = ProviderHTTP(
            client: client, provider: "alphavantage", baseURL: baseURL, timeoutSeconds: timeoutSeconds,
            keyPlacement: .query("apikey"), logger: logger)
        self.now = now
    }

    public func quote(_ symbol: UpstreamSymbol, call: ProviderCall) async throws -> ProviderQuote {
        let body = try await self.query(function: "GLOBAL_QUOTE", symbol: symbol, extra: [], call: call)
        guard let fields = body["Global Quote"] else { throw ProviderError.malformed("no Global Quote") }
        guard case .object(let quote) = fields else { throw ProviderError.malformed("Global Quote is not an object") }
        if quote.isEmpty { throw ProviderError.unknownSymbol(symbol.symbol) }
        func number(_ key: String, required: Bool = false) throws -> Double? {
            guard let value = quote[key] else {
                if required { throw ProviderError.malformed("missing \(key)") }
                return nil
            }
            guard case .string(let text) = value else { throw ProviderError.malformed("\(key) is not a string") }
            let trimmed = text.hasSuffix("%") ? String(text.dropLast()) : text
            guard let number = Double(trimmed) else { throw ProviderError.malformed("\(key) is not a number") }
            return number
        }
        let price = try Check.price(number("05. price", required: true)!, "price")
        let previousClose = try number("08. previous close").map { try Check.price($0, "previous close") }
        var q = Quote(
            symbol: symbol.symbol, price: price, ts: self.now(), open: try number("02. open"),
            high: try number("03. high"), low: try number("04. low"),
            volume: try number("06. volume").map { try Check.volume($0, "volume") },
            change: try Check.finite(number("09. change"), "change"),
            changePercent: try Check.finite(number("10. change percent"), "change percent"))
        if q.change == nil, previousClose != nil { q.setChange(from: previousClose) }
        return ProviderQuote(quote: q, changeBasis: .previousClose, previousClose: previousClose)
    }

    /// Daily bars only (`unsupported` for any other interval), stamped 00:00 UTC of their date.
    public func bars(_ symbol: UpstreamSymbol, interval: Interval, from: Int64, to: Int64, call: ProviderCall)
        async throws -> [Bar]
    {
        guard interval == .day1 else { throw ProviderError.unsupported("alphavantage bars at \(interval)") }
        let compact = self.now() - from <= Self.compactDays * 86_400_000
        let body = try await self.query(
            function: "TIME_SERIES_DAILY", symbol: symbol, extra: [("outputsize", compact ? "compact" : "full")],
            call: call)
        guard let series = body["Time Series (Daily)"] else { throw ProviderError.malformed("no Time Series (Daily)") }
        guard case .object(let days) = series else { throw ProviderError.malformed("the series is not an object") }
        var bars: [Bar] = []
        for (day, value) in days {
            guard let ts = ProviderTime.dayMilliseconds(day) else { throw ProviderError.malformed("bad date") }
            guard ts >= from, ts < to else { continue }
            guard case .object(let fields) = value else { throw ProviderError.malformed("a bar is not an object") }
            func number(_ key: String) throws -> Double {
                guard case .string(let text) = fields[key], let number = Double(text) else {
                    throw ProviderError.malformed("bar field \(key) is missing or not a number")
                }
                return number
            }
            bars.append(
                try Check.bar(
                    Bar(
                        ts: ts, open: number("1. open"), high: number("2. high"), low: number("3. low"),
                        close: number("4. close"), volume: number("5. volume")), "bar"))
        }
        return bars.sorted { $0.ts < $1.ts }
    }

    /// One `/query` call, its in-200 errors mapped; returns the top-level object.
    private func query(
        function: String, symbol: UpstreamSymbol, extra: [(String, String)], call: ProviderCall
    ) async throws -> [String: JSONValue] {
        guard call.key != nil else { throw ProviderError.unauthorized("alphavantage needs a key") }
        let response = try await self.http.get(
            "/query", query: [("function", function), ("symbol", symbol.id)] + extra, endpoint: function, call: call)
        let body = try? self.http.decode([String: JSONValue].self, from: response, endpoint: function)
        if let body {
            if let message = body["Information"] ?? body["Note"] {
                throw ProviderError.rateLimited(
                    retryAfterSeconds: response.retryAfterSeconds,
                    reason: ProviderHTTP.redacted(message.text ?? "quota reply", key: call.key))
            }
            if let message = body["Error Message"] {
                let text = message.text ?? ""
                if text.lowercased().contains("apikey") || text.lowercased().contains("api key") {
                    throw ProviderError.unauthorized(ProviderHTTP.redacted(text, key: call.key))
                }
                throw ProviderError.unknownSymbol(symbol.symbol)
            }
        }
        try self.http.checkStatus(response)
        guard let body else {
            _ = try self.http.decode([String: JSONValue].self, from: response, endpoint: function)
            throw ProviderError.malformed("alphavantage \(function): not an object")
        }
        return body
    }
}
