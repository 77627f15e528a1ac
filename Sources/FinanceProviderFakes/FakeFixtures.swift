/// The fake's answers, in the shapes `/work/shared/reference/providers.md` documents (see `docs/providers.md`).
///
/// Known symbols: Alpha Vantage `IBM`; CoinGecko `bitcoin`, `ethereum` (and the coin list with three `eth`
/// coins); CoinMarketCap `BTC`; Polygon `AAPL` (three pages of daily bars, the last in nanoseconds); Finnhub `AAPL`;
/// NewsAPI any query (three articles). Any other symbol gets the provider's unknown-symbol answer, unless
/// `anySymbol` is set: then Finnhub's `/quote` and Polygon's `/prev` quote every symbol at `syntheticPrice`.
public enum FakeFixtures {
    /// An answer: HTTP status and JSON body.
    public typealias Answer = (status: Int, body: String)

    /// The normal answer of `provider` to `path` with `query`.
    public static func answer(
        provider: FakeProvider, path: String, query: [String: String], port: Int, anySymbol: Bool = false
    ) -> Answer {
        switch provider {
        case .alphavantage: return Self.alphaVantage(path: path, query: query)
        case .coingecko: return Self.coinGecko(path: path, query: query)
        case .coinmarketcap: return Self.coinMarketCap(path: path, query: query)
        case .polygon:
            if anySymbol, let synthetic = Self.syntheticPolygon(path: path) { return synthetic }
            return Self.polygon(path: path, query: query, port: port)
        case .finnhub:
            if anySymbol, path == "/quote", let symbol = query["symbol"], symbol != "AAPL", !symbol.isEmpty {
                return (200, Self.syntheticFinnhubQuote(symbol))
            }
            return Self.finnhub(path: path, query: query)
        case .newsapi: return Self.newsAPI(path: path, query: query)
        }
    }

    // MARK: Any symbol (benchmarks)

    /// The time of every synthetic quote: 2024-06-01 00:00 UTC (s).
    public static let syntheticQuoteSeconds: Int64 = 1_717_200_000

    /// The deterministic price of `symbol` when the fake quotes any symbol: 10.00 to 999.99, from an FNV-1a hash of
    /// its upstream id.
    public static func syntheticPrice(_ symbol: String) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in symbol.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Double(1_000 + Int(hash % 99_000)) / 100
    }

    static func syntheticFinnhubQuote(_ symbol: String) -> String {
        let p = Self.syntheticPrice(symbol)
        return
            #"{"c": \#(p), "d": 0, "dp": 0, "h": \#(p), "l": \#(p), "o": \#(p), "pc": \#(p), "t": \#(Self.syntheticQuoteSeconds)}"#
    }

    /// Polygon's previous-day bar of any ticker but AAPL (which keeps its fixture), nil for other paths.
    static func syntheticPolygon(path: String) -> Answer? {
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count == 5, parts[0] == "v2", parts[1] == "aggs", parts[2] == "ticker", parts[4] == "prev",
            parts[3] != "AAPL"
        else { return nil }
        let (ticker, p) = (parts[3], Self.syntheticPrice(parts[3]))
        return (
            200,
            #"{"ticker": "\#(ticker)", "queryCount": 1, "resultsCount": 1, "adjusted": true, "results": [{"T": "\#(ticker)", "v": 1000, "vw": \#(p), "o": \#(p), "c": \#(p), "h": \#(p), "l": \#(p), "t": \#(Self.syntheticQuoteSeconds * 1_000), "n": 10}], "status": "OK", "request_id": "prev-any"}"#
        )
    }

    static let notFound: Answer = (404, #"{"error": "not found"}"#)

    // MARK: Alpha Vantage

    public static let alphaVantageQuote = """
        {"Global Quote": {"01. symbol": "IBM", "02. open": "168.9500", "03. high": "169.6500", "04. low": "167.2400", \
        "05. price": "168.6200", "06. volume": "3047563", "07. latest trading day": "2024-06-03", \
        "08. previous close": "168.8100", "09. change": "-0.1900", "10. change percent": "-0.1126%"}}
        """

    public static let alphaVantageDaily = """
        {"Meta Data": {"1. Information": "Daily Prices (open, high, low, close) and Volumes", "2. Symbol": "IBM", \
        "3. Last Refreshed": "2024-06-03", "4. Output Size": "Compact", "5. Time Zone": "US/Eastern"}, \
        "Time Series (Daily)": {\
        "2024-06-03": {"1. open": "166.5400", "2. high": "169.6500", "3. low": "166.3000", "4. close": "168.6200", "5. volume": "3047563"}, \
        "2024-05-31": {"1. open": "165.7000", "2. high": "167.2400", "3. low": "163.8400", "4. close": "166.8500", "5. volume": "4907914"}, \
        "2024-05-30": {"1. open": "168.4300", "2. high": "169.0600", "3. low": "165.4600", "4. close": "165.6300", "5. volume": "3852071"}, \
        "2024-05-29": {"1. open": "169.4500", "2. high": "170.0600", "3. low": "167.9900", "4. close": "168.5300", "5. volume": "2820120"}, \
        "2024-05-28": {"1. open": "170.4400", "2. high": "171.0900", "3. low": "168.8500", "4. close": "170.2000", "5. volume": "3037455"}}}
        """

    static func alphaVantage(path: String, query: [String: String]) -> Answer {
        guard path == "/query" else { return Self.notFound }
        let known = query["symbol"] == "IBM"
        switch query["function"] {
        case "GLOBAL_QUOTE": return (200, known ? Self.alphaVantageQuote : #"{"Global Quote": {}}"#)
        case "TIME_SERIES_DAILY":
            return known
                ? (200, Self.alphaVantageDaily)
                : (
                    200,
                    #"{"Error Message": "Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY."}"#
                )
        default:
            return (200, #"{"Error Message": "This API function does not exist."}"#)
        }
    }

    // MARK: CoinGecko

    public static let coinGeckoPrices: [String: String] = [
        "bitcoin":
            #""bitcoin": {"usd": 67000.1, "usd_24h_vol": 28123456789.5, "usd_24h_change": -1.25, "last_updated_at": 1717000000}"#,
        "ethereum":
            #""ethereum": {"usd": 3800.5, "usd_24h_vol": 15000000000, "usd_24h_change": 2.5, "last_updated_at": 1717000030}"#,
    ]

    /// Bitcoin's chart: 5-minute points of 2024-05-29 00:00-01:05 UTC, and one at 2024-05-30 00:00.
    public static let coinGeckoChart = """
        {"prices": [[1716940800000, 67000], [1716941100000, 67100], [1716941400000, 66900], \
        [1716944400000, 67200], [1716944700000, 67300], [1717027200000, 68000]], \
        "market_caps": [[1716940800000, 1.32e12], [1716941100000, 1.33e12], [1716941400000, 1.31e12], \
        [1716944400000, 1.32e12], [1716944700000, 1.33e12], [1717027200000, 1.34e12]], \
        "total_volumes": [[1716940800000, 2.1e10], [1716941100000, 2.1e10], [1716941400000, 2.2e10], \
        [1716944400000, 2.2e10], [1716944700000, 2.3e10], [1717027200000, 2.4e10]]}
        """

    /// Several coins share `eth`; Ethereum (the biggest) is not listed first.
    public static let coinGeckoList = """
        [{"id": "bitcoin", "symbol": "btc", "name": "Bitcoin"}, \
        {"id": "ethereum-wormhole", "symbol": "eth", "name": "Ethereum (Wormhole)"}, \
        {"id": "ethereum", "symbol": "eth", "name": "Ethereum"}, \
        {"id": "bridged-ether-starkgate", "symbol": "eth", "name": "Bridged Ether (StarkGate)"}, \
        {"id": "tether", "symbol": "usdt", "name": "Tether"}]
        """

    public static let coinGeckoMarkets: [String: String] = [
        "bitcoin":
            #"{"id": "bitcoin", "symbol": "btc", "name": "Bitcoin", "current_price": 67000.1, "market_cap": 1320000000000, "market_cap_rank": 1}"#,
        "ethereum":
            #"{"id": "ethereum", "symbol": "eth", "name": "Ethereum", "current_price": 3800.5, "market_cap": 456000000000, "market_cap_rank": 2}"#,
        "bridged-ether-starkgate":
            #"{"id": "bridged-ether-starkgate", "symbol": "eth", "name": "Bridged Ether (StarkGate)", "current_price": 3801.2, "market_cap": 35000000, "market_cap_rank": 900}"#,
        "ethereum-wormhole":
            #"{"id": "ethereum-wormhole", "symbol": "eth", "name": "Ethereum (Wormhole)", "current_price": 3790.0, "market_cap": 1200000, "market_cap_rank": 3000}"#,
        "tether":
            #"{"id": "tether", "symbol": "usdt", "name": "Tether", "current_price": 1.0, "market_cap": 110000000000, "market_cap_rank": 3}"#,
    ]

    static func coinGecko(path: String, query: [String: String]) -> Answer {
        if path == "/ping" { return (200, #"{"gecko_says": "(V3) To the Moon!"}"#) }
        if path == "/simple/price" {
            let ids = (query["ids"] ?? "").split(separator: ",").map(String.init)
            return (200, "{" + ids.compactMap { Self.coinGeckoPrices[$0] }.joined(separator: ", ") + "}")
        }
        if path == "/coins/list" { return (200, Self.coinGeckoList) }
        if path == "/coins/markets" {
            let ids = (query["ids"] ?? "").split(separator: ",").map(String.init)
            let rows = ids.compactMap { Self.coinGeckoMarkets[$0] }
            return (200, "[" + rows.joined(separator: ", ") + "]")
        }
        if path.hasPrefix("/coins/"), path.hasSuffix("/market_chart") {
            return path == "/coins/bitcoin/market_chart"
                ? (200, Self.coinGeckoChart) : (404, #"{"error": "coin not found"}"#)
        }
        return Self.notFound
    }

    // MARK: CoinMarketCap

    public static let coinMarketCapQuote = """
        {"status": {"timestamp": "2024-06-03T12:00:05.123Z", "error_code": 0, "error_message": null, "elapsed": 10, \
        "credit_count": 1, "notice": null}, "data": {"BTC": {"id": 1, "name": "Bitcoin", "symbol": "BTC", \
        "slug": "bitcoin", "quote": {"USD": {"price": 68250.75, "volume_24h": 21500000000.5, \
        "percent_change_1h": 0.1, "percent_change_24h": 1.5, "percent_change_7d": 3.2, "market_cap": 1340000000000, \
        "last_updated": "2024-06-03T12:00:00.000Z"}}}}}
        """

    public static let coinMarketCapKeyInfo = """
        {"status": {"timestamp": "2024-06-03T12:00:05.123Z", "error_code": 0, "error_message": null, "elapsed": 3, \
        "credit_count": 0}, "data": {"plan": {"credit_limit_monthly": 10000, \
        "credit_limit_monthly_reset": "In 7 days, 6 hours", \
        "credit_limit_monthly_reset_timestamp": "2024-06-11T00:00:00.000Z", "rate_limit_minute": 30}, \
        "usage": {"current_minute": {"requests_made": 2, "requests_left": 28}, \
        "current_day": {"credits_used": 5, "credits_left": null}, \
        "current_month": {"credits_used": 120, "credits_left": 9880}}}}
        """

    static func coinMarketCap(path: String, query: [String: String]) -> Answer {
        switch path {
        case "/v1/cryptocurrency/quotes/latest":
            if query["symbol"] == "BTC" { return (200, Self.coinMarketCapQuote) }
            return (
                400,
                #"{"status": {"timestamp": "2024-06-03T12:00:05.123Z", "error_code": 400, "error_message": "Invalid value for \"symbol\"", "credit_count": 0}}"#
            )
        case "/v1/key/info": return (200, Self.coinMarketCapKeyInfo)
        default: return Self.notFound
        }
    }

    // MARK: Polygon

    public static let polygonPrev = """
        {"ticker": "AAPL", "queryCount": 1, "resultsCount": 1, "adjusted": true, "results": [{"T": "AAPL", \
        "v": 50016234, "vw": 193.1, "o": 192.9, "c": 194.03, "h": 195.0, "l": 191.8, "t": 1717185600000, \
        "n": 600000}], "status": "OK", "request_id": "prev-1"}
        """

    /// Three pages of two daily bars (2024-01-02 to 2024-01-09, stamped 05:00 UTC, midnight in New York); the
    /// third page's times are in nanoseconds.
    public static let polygonPages: [String] = [
        #"{"o": 187.15, "h": 188.44, "l": 183.885, "c": 185.64, "v": 82488674, "vw": 185.9, "t": 1704171600000, "n": 1009074}, {"o": 184.22, "h": 185.88, "l": 183.43, "c": 184.25, "v": 58414460, "vw": 184.3, "t": 1704258000000, "n": 656956}"#,
        #"{"o": 182.15, "h": 183.0872, "l": 180.88, "c": 181.91, "v": 71983570, "vw": 181.9, "t": 1704344400000, "n": 712892}, {"o": 181.99, "h": 182.76, "l": 180.17, "c": 181.18, "v": 62379661, "vw": 181.3, "t": 1704430800000, "n": 682337}"#,
        #"{"o": 182.085, "h": 185.6, "l": 181.5, "c": 185.56, "v": 59144470, "vw": 184.4, "t": 1704690000000000000, "n": 669421}, {"o": 185.1, "h": 187.05, "l": 183.62, "c": 185.14, "v": 42841809, "vw": 185.4, "t": 1704776400000000000, "n": 528395}"#,
    ]

    static func polygon(path: String, query: [String: String], port: Int) -> Answer {
        let parts = path.split(separator: "/").map(String.init)
        // v2 aggs ticker {T} prev | v2 aggs ticker {T} range {n} {span} {from} {to}
        guard parts.count >= 5, parts[0] == "v2", parts[1] == "aggs", parts[2] == "ticker" else { return Self.notFound }
        let ticker = parts[3]
        if parts[4] == "prev", parts.count == 5 {
            guard ticker == "AAPL" else {
                return (
                    200,
                    #"{"ticker": "\#(ticker)", "queryCount": 0, "resultsCount": 0, "adjusted": true, "status": "OK", "request_id": "prev-0"}"#
                )
            }
            return (200, Self.polygonPrev)
        }
        guard parts[4] == "range", parts.count == 9 else { return Self.notFound }
        guard ticker == "AAPL" else {
            return (
                200,
                #"{"ticker": "\#(ticker)", "queryCount": 0, "resultsCount": 0, "adjusted": true, "status": "OK", "request_id": "range-0"}"#
            )
        }
        let page = query["cursor"].flatMap { $0.hasPrefix("page") ? Int($0.dropFirst(4)) : nil } ?? 1
        guard (1...Self.polygonPages.count).contains(page) else {
            return (400, #"{"status": "ERROR", "error": "bad cursor"}"#)
        }
        var body = """
            {"ticker": "AAPL", "status": "OK", "adjusted": true, "queryCount": 2, "resultsCount": 2, \
            "request_id": "range-\(page)", "results": [\(Self.polygonPages[page - 1])]
            """
        if page < Self.polygonPages.count {
            // Like Polygon's, the next page's URL does not carry the key.
            body += #", "next_url": "http://127.0.0.1:\#(port)/polygon\#(path)?cursor=page\#(page + 1)""#
        }
        return (200, body + "}")
    }

    // MARK: Finnhub

    public static let finnhubQuote =
        #"{"c": 261.74, "d": -2.84, "dp": -1.0734, "h": 265.1, "l": 260.8, "o": 264.2, "pc": 264.58, "t": 1582641000}"#

    /// Three daily candles, 2024-01-02 to 2024-01-04 at 00:00 UTC.
    public static let finnhubCandles = """
        {"c": [185.64, 184.25, 181.91], "h": [188.44, 185.88, 183.0872], "l": [183.885, 183.43, 180.88], \
        "o": [187.15, 184.22, 182.15], "s": "ok", "t": [1704153600, 1704240000, 1704326400], \
        "v": [82488674, 58414460, 71983570]}
        """

    static func finnhub(path: String, query: [String: String]) -> Answer {
        switch path {
        case "/quote":
            if query["symbol"] == "AAPL" { return (200, Self.finnhubQuote) }
            return (200, #"{"c": 0, "d": null, "dp": null, "h": 0, "l": 0, "o": 0, "pc": 0, "t": 0}"#)
        case "/stock/candle":
            return (200, query["symbol"] == "AAPL" ? Self.finnhubCandles : #"{"s": "no_data"}"#)
        default: return Self.notFound
        }
    }

    // MARK: NewsAPI

    public static let newsArticles: [String] = [
        #"{"source": {"id": "reuters", "name": "Reuters"}, "author": "A. Writer", "title": "Apple shares rise after earnings", "description": "Apple beat estimates.", "url": "https://example.com/apple-earnings", "urlToImage": null, "publishedAt": "2020-05-03T09:00:00Z", "content": "Apple beat estimates... [+1200 chars]"}"#,
        #"{"source": {"id": null, "name": "Example News"}, "author": null, "title": "Markets wrap", "description": null, "url": "https://example.com/markets-wrap", "urlToImage": null, "publishedAt": "2020-05-02T18:30:15Z", "content": null}"#,
        #"{"source": {"id": null, "name": "Blog"}, "author": "B. Blogger", "title": "Older piece", "description": "An older piece.", "url": "https://example.com/older", "urlToImage": null, "publishedAt": "2020-05-01T07:05:00Z", "content": "..."}"#,
    ]

    static func newsAPI(path: String, query: [String: String]) -> Answer {
        guard path == "/v2/everything" else { return Self.notFound }
        guard let q = query["q"], !q.isEmpty else {
            return (
                400,
                #"{"status": "error", "code": "parametersMissing", "message": "Required parameters are missing."}"#
            )
        }
        let size = min(Int(query["pageSize"] ?? "") ?? 100, 100)
        let articles = Self.newsArticles.prefix(max(0, size))
        return (200, #"{"status": "ok", "totalResults": 771, "articles": ["# + articles.joined(separator: ", ") + "]}")
    }

    // MARK: Faults

    /// The provider-specific answer of a fault (not latency, never-answer, malformed or truncated JSON, which are
    /// the same for all). `key` is the request's key, echoed in some messages as careless providers do.
    public static func fault(_ fault: FakeFault, provider: FakeProvider, path: String, key: String) -> Answer {
        switch fault {
        case .serverError: return (500, #"{"error": "internal server error"}"#)
        case .rateLimited: return (429, Self.rateLimitBody(provider, key: key))
        case .quotaInBody:
            switch provider {
            case .alphavantage:
                return (
                    200,
                    #"{"Information": "Thank you for using Alpha Vantage! Your key \#(key) has reached the standard API rate limit of 25 requests per day."}"#
                )
            case .coingecko:
                return (200, #"{"status": {"error_code": 429, "error_message": "You've exceeded the Rate Limit."}}"#)
            case .coinmarketcap:
                return (
                    200,
                    #"{"status": {"error_code": 1010, "error_message": "You've exceeded your API Key's monthly credit limit (key \#(key))."}}"#
                )
            case .newsapi:
                return (
                    200,
                    #"{"status": "error", "code": "rateLimited", "message": "You have made too many requests with key \#(key)."}"#
                )
            case .polygon, .finnhub: return (429, Self.rateLimitBody(provider, key: key))
            }
        case .unauthorized:
            switch provider {
            case .alphavantage:
                return (
                    200,
                    #"{"Error Message": "the parameter apikey is invalid or missing (\#(key)). Please claim your free API key on (https://www.alphavantage.co/support/#api-key)."}"#
                )
            case .coingecko:
                return (401, #"{"status": {"error_code": 10010, "error_message": "Invalid API key \#(key)."}}"#)
            case .coinmarketcap:
                return (401, #"{"status": {"error_code": 1001, "error_message": "This API Key is invalid: \#(key)"}}"#)
            case .polygon: return (401, #"{"status": "ERROR", "request_id": "x", "error": "Unknown API Key"}"#)
            case .finnhub: return (401, #"{"error": "Invalid API key."}"#)
            case .newsapi:
                return (
                    401,
                    #"{"status": "error", "code": "apiKeyInvalid", "message": "Your API key \#(key) is invalid or incorrect."}"#
                )
            }
        case .planRestricted:
            switch provider {
            case .coingecko:
                return (
                    403,
                    #"{"status": {"error_code": 10005, "error_message": "You request exceeds the allowed time range for the Demo plan."}}"#
                )
            case .coinmarketcap:
                return (
                    403,
                    #"{"status": {"error_code": 1006, "error_message": "Your API Key subscription plan doesn't support this endpoint."}}"#
                )
            case .polygon:
                return (
                    403,
                    #"{"status": "NOT_AUTHORIZED", "request_id": "x", "message": "You are not entitled to this data. Please upgrade your plan at https://polygon.io/pricing"}"#
                )
            case .finnhub: return (403, #"{"error": "You don't have access to this resource."}"#)
            case .alphavantage, .newsapi: return (403, #"{"message": "Forbidden"}"#)
            }
        case .wrongTypes: return (200, Self.wrongTypes(provider, path: path))
        case .emptyResult: return (200, Self.empty(provider, path: path))
        case .latency, .neverAnswer, .malformedJSON, .truncatedJSON, .random:
            return (500, #"{"error": "not a body fault"}"#)
        }
    }

    static func rateLimitBody(_ provider: FakeProvider, key: String) -> String {
        switch provider {
        case .alphavantage: return #"{"message": "Too Many Requests"}"#
        case .coingecko: return #"{"status": {"error_code": 429, "error_message": "You've exceeded the Rate Limit."}}"#
        case .coinmarketcap:
            return
                #"{"status": {"error_code": 1008, "error_message": "You've exceeded your API Key's HTTP request rate limit."}}"#
        case .polygon:
            return
                #"{"status": "ERROR", "request_id": "x", "error": "You've exceeded the maximum requests per minute, please wait or upgrade your subscription to continue. https://polygon.io/pricing"}"#
        case .finnhub: return #"{"error": "API limit reached. Please try again later. Remaining Limit: 0"}"#
        case .newsapi:
            return
                #"{"status": "error", "code": "rateLimited", "message": "You have made too many requests with key \#(key)."}"#
        }
    }

    static func wrongTypes(_ provider: FakeProvider, path: String) -> String {
        switch provider {
        case .alphavantage:
            return #"{"Global Quote": {"01. symbol": "IBM", "05. price": ["168.62"]}, "Time Series (Daily)": []}"#
        case .coingecko:
            if path.hasSuffix("/market_chart") { return #"{"prices": [[1716940800000, "sixty-seven thousand"]]}"# }
            return #"{"bitcoin": {"usd": "sixty-seven thousand", "last_updated_at": 1717000000}}"#
        case .coinmarketcap:
            return
                #"{"status": {"error_code": 0}, "data": {"BTC": {"id": 1, "symbol": "BTC", "quote": {"USD": {"price": "lots", "last_updated": "2024-06-03T12:00:00.000Z"}}}}}"#
        case .polygon:
            return
                #"{"ticker": "AAPL", "status": "OK", "resultsCount": 1, "results": [{"o": "x", "h": 1, "l": 1, "c": 1, "v": 1, "t": 1704171600000}]}"#
        case .finnhub:
            if path == "/stock/candle" { return #"{"s": "ok", "c": "185.64", "t": [1704153600]}"# }
            return #"{"c": "261.74", "t": 1582641000}"#
        case .newsapi: return #"{"status": "ok", "totalResults": 1, "articles": "none"}"#
        }
    }

    static func empty(_ provider: FakeProvider, path: String) -> String {
        switch provider {
        case .alphavantage:
            return #"{"Global Quote": {}, "Meta Data": {"2. Symbol": "IBM"}, "Time Series (Daily)": {}}"#
        case .coingecko:
            if path.hasSuffix("/market_chart") { return #"{"prices": [], "market_caps": [], "total_volumes": []}"# }
            if path == "/coins/list" || path == "/coins/markets" { return "[]" }
            return "{}"
        case .coinmarketcap: return #"{"status": {"error_code": 0, "error_message": null}, "data": {}}"#
        case .polygon:
            return
                #"{"ticker": "AAPL", "status": "OK", "adjusted": true, "queryCount": 0, "resultsCount": 0, "request_id": "e"}"#
        case .finnhub:
            if path == "/stock/candle" { return #"{"s": "no_data"}"# }
            return #"{"c": 0, "d": null, "dp": null, "h": 0, "l": 0, "o": 0, "pc": 0, "t": 0}"#
        case .newsapi: return #"{"status": "ok", "totalResults": 0, "articles": []}"#
        }
    }
}
