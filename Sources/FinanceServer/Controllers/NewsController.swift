import FinanceApp
import FinanceCore
import Hummingbird

/// `GET /api/news?symbol=…&limit=` (or `q=…`): the newest articles about a symbol or a text, from the news providers
/// through the cache (`NewsService`).
struct NewsController {
    /// Nil when no news provider is usable (none has keys).
    let news: NewsService?
    /// The longest `q`, in characters (Unicode scalars, as JSON Schema counts them).
    static let maxQueryLength = 200

    /// Adds the route under `/api/news`.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(use: self.list)
    }

    /// `GET /api/news`: `{"items": [...], "provider"}`; exactly one of `symbol` and `q`.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = HTTP.Query(request)
        let symbol = query.symbol()
        let text = query.raw("q")
        if let text, !Self.isValid(text) {
            query.issues.append(
                ValidationIssue(
                    index: nil, field: "q",
                    detail: "q must hold 1 to \(Self.maxQueryLength) characters and no control character"))
        }
        switch (query.raw("symbol"), text) {
        case (nil, nil):
            query.issues.append(ValidationIssue(index: nil, field: "symbol", detail: "give symbol or q"))
        case (_?, _?):
            query.issues.append(ValidationIssue(index: nil, field: "q", detail: "give symbol or q, not both"))
        default:
            break
        }
        let limit = query.integer("limit", default: NewsService.defaultLimit, range: 1...NewsService.maxLimit)
        try query.check()
        guard let news = self.news else {
            throw Problem(status: .notFound, detail: "no news provider has keys (set providers.newsapi.keys)")
        }
        let routed = try await news.news(query: symbol ?? text ?? "", limit: limit)
        return try HTTP.json(NewsDTO(items: routed.value.map(NewsItemDTO.init), provider: routed.provider))
    }

    /// 1 to `maxQueryLength` characters, none a control character (U+0000–U+001F, U+007F–U+009F).
    private static func isValid(_ text: String) -> Bool {
        let scalars = text.unicodeScalars
        return !scalars.isEmpty && scalars.count <= Self.maxQueryLength
            && !scalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }
}
