import AsyncHTTPClient
import FinanceCore
import Foundation
import Logging

/// A CoinMarketCap key's plan and usage (`/v1/key/info`, which costs no credit); nil where the answer omits it.
public struct CoinMarketCapKeyInfo: Hashable, Sendable {
    public var creditLimitMonthly: Int?
    public var rateLimitMinute: Int?
    public var minuteRequestsMade: Int?
    public var minuteRequestsLeft: Int?
    public var dayCreditsUsed: Int?
    public var dayCreditsLeft: Int?
    public var monthCreditsUsed: Int?
    public var monthCreditsLeft: Int?

    public init(
        creditLimitMonthly: Int? = nil, rateLimitMinute: Int? = nil, minuteRequestsMade: Int? = nil,
        minuteRequestsLeft: Int? = nil, dayCreditsUsed: Int? = nil, dayCreditsLeft: Int? = nil,
        monthCreditsUsed: Int? = nil, monthCreditsLeft: Int? = nil
    ) {
        self.creditLimitMonthly = creditLimitMonthly
        self.rateLimitMinute = rateLimitMinute
        self.minuteRequestsMade = minuteRequestsMade
        self.minuteRequestsLeft = minuteRequestsLeft
        self.dayCreditsUsed = dayCreditsUsed
        self.dayCreditsLeft = dayCreditsLeft
        self.monthCreditsUsed = monthCreditsUsed
        self.monthCreditsLeft = monthCreditsLeft
    }
}

/// CoinMarketCap (basic plan, `https://pro-api.coinmarketcap.com`, key in the `X-CMC_PRO_API_KEY` header): quotes
/// (`/v1/cryptocurrency/quotes/latest?symbol=`, 24 h change) and the key's usage (`/v1/key/info`).
///
/// Errors come as `status.error_code` with various HTTP statuses: 1001/1002/1004/1007 → `unauthorized`, 1003/1006 →
/// `planRestricted`, 1008/1009/1010/1011 → `rateLimited`, whatever the status; other answers by the common status
/// mapping (an HTTP 400 on a quote, CoinMarketCap's answer to a symbol it does not know, → `unknownSymbol`).
public struct CoinMarketCapProvider: QuoteProvider {
    public let name = "coinmarketcap"
    public let capabilities: Set<ProviderCapability> = [.quote]
    public static let defaultBaseURL = "https://pro-api.coinmarketcap.com"

    let http: ProviderHTTP

    public init(
        client: HTTPClient, baseURL: String = CoinMarketCapProvider.defaultBaseURL, timeoutSeconds: Double = 5,
        logger: Logger = Logger(label: "financehub.providers.coinmarketcap")
    ) {
        self.http = ProviderHTTP(
            client: client, provider: "coinmarketcap", baseURL: baseURL, timeoutSeconds: timeoutSeconds,
            keyPlacement: .header("X-CMC_PRO_API_KEY"), logger: logger)
    }

    /// The latest quote by symbol (`UpstreamSymbol.id`, e.g. `BTC`), stamped with the quote's `last_updated`.
    public func quote(_ symbol: UpstreamSymbol, call: ProviderCall) async throws -> ProviderQuote {
        let endpoint = "/v1/cryptocurrency/quotes/latest"
        let id = symbol.id.uppercased()
        let currency = symbol.currency.uppercased()
        let response = try await self.get(
            endpoint, query: [("symbol", id), ("convert", currency)], call: call,
            badRequest: .unknownSymbol(symbol.symbol))
        struct Body: Decodable {
            struct Coin: Decodable {
                struct Figures: Decodable {
                    var price: Double
                    var volume_24h: Double?
                    var percent_change_24h: Double?
                    var last_updated: String
                }
                var symbol: String
                var quote: [String: Figures]
            }
            var data: [String: Coin]
        }
        let body = try self.http.decode(Body.self, from: response, endpoint: endpoint)
        guard let coin = body.data[id] ?? body.data.values.first(where: { $0.symbol.uppercased() == id }) else {
            throw ProviderError.unknownSymbol(symbol.symbol)
        }
        guard let figures = coin.quote[currency] else {
            throw ProviderError.malformed("coinmarketcap: no \(currency) quote")
        }
        guard let ts = ProviderTime.isoMilliseconds(figures.last_updated) else {
            throw ProviderError.malformed("coinmarketcap: last_updated is not a time")
        }
        let price = try Check.price(figures.price, "price")
        var quote = Quote(
            symbol: symbol.symbol, price: price, ts: ts,
            volume: try figures.volume_24h.map { try Check.volume($0, "24h volume") },
            changePercent: try Check.finite(figures.percent_change_24h, "24h change"))
        if let percent = quote.changePercent, percent > -100 {
            quote.change = price - price / (1 + percent / 100)
        }
        return ProviderQuote(quote: quote, changeBasis: .rolling24h)
    }

    /// The key's plan limits and usage; costs no credit.
    public func keyInfo(call: ProviderCall) async throws -> CoinMarketCapKeyInfo {
        let endpoint = "/v1/key/info"
        let response = try await self.get(endpoint, query: [], call: call)
        struct Body: Decodable {
            struct Data: Decodable {
                struct Plan: Decodable {
                    var credit_limit_monthly: Int?
                    var rate_limit_minute: Int?
                }
                struct Period: Decodable {
                    var requests_made: Int?
                    var requests_left: Int?
                    var credits_used: Int?
                    var credits_left: Int?
                }
                struct Usage: Decodable {
                    var current_minute: Period?
                    var current_day: Period?
                    var current_month: Period?
                }
                var plan: Plan
                var usage: Usage
            }
            var data: Data
        }
        let data = try self.http.decode(Body.self, from: response, endpoint: endpoint).data
        return CoinMarketCapKeyInfo(
            creditLimitMonthly: data.plan.credit_limit_monthly, rateLimitMinute: data.plan.rate_limit_minute,
            minuteRequestsMade: data.usage.current_minute?.requests_made,
            minuteRequestsLeft: data.usage.current_minute?.requests_left,
            dayCreditsUsed: data.usage.current_day?.credits_used, dayCreditsLeft: data.usage.current_day?.credits_left,
            monthCreditsUsed: data.usage.current_month?.credits_used,
            monthCreditsLeft: data.usage.current_month?.credits_left)
    }

    /// A GET with CoinMarketCap's error mapping: `status.error_code` first, then the HTTP status.
    private func get(
        _ path: String, query: [(String, String)], call: ProviderCall, badRequest: ProviderError? = nil
    ) async throws -> ProviderHTTP.Response {
        guard call.key != nil else { throw ProviderError.unauthorized("coinmarketcap needs a key") }
        let response = try await self.http.get(path, query: query, endpoint: path, call: call)
        struct Status: Decodable {
            struct Inner: Decodable {
                var error_code: Int?
                var error_message: String?
            }
            var status: Inner?
        }
        if let status = (try? JSONDecoder().decode(Status.self, from: response.body))?.status,
            let code = status.error_code, code != 0
        {
            let message = "coinmarketcap \(code): " + ProviderHTTP.redacted(status.error_message ?? "", key: call.key)
            switch code {
            case 1001, 1002, 1004, 1007: throw ProviderError.unauthorized(message)
            case 1003, 1006: throw ProviderError.planRestricted(message)
            case 1008, 1009, 1010, 1011:
                throw ProviderError.rateLimited(retryAfterSeconds: response.retryAfterSeconds, reason: message)
            default: break
            }
        }
        if response.status == 400, let badRequest { throw badRequest }
        try self.http.checkStatus(response)
        return response
    }
}
