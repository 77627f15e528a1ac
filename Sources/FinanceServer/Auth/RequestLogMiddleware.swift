import Foundation
import Hummingbird
import Logging

/// Logs each request (method, path, query, status) at `level` with the secrets taken out: the values of `token=`,
/// `apikey=` and `api_key=` query parameters become `REDACTED`, and no header is logged (so `Authorization`,
/// `X-API-Key` and `Sec-WebSocket-Protocol` never reach a log).
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let level: Logger.Level

    /// The query parameters whose values are secrets (compared case-insensitively).
    static var secretParameters: Set<String> { ["token", "apikey", "api_key", "access_token", "refresh_token"] }

    init(_ level: Logger.Level) { self.level = level }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let target = Self.redacted(path: request.uri.path, query: request.uri.query)
        do {
            let response = try await next(request, context)
            context.logger.log(
                level: self.level, "\(request.method) \(target)",
                metadata: ["hb.response.status": "\(response.status.code)"])
            return response
        } catch {
            context.logger.log(level: self.level, "\(request.method) \(target)", metadata: ["hb.error": "\(error)"])
            throw error
        }
    }

    /// The request target with every secret query value replaced.
    static func redacted(path: String, query: String?) -> String {
        guard let query, !query.isEmpty else { return path }
        let parts = query.split(separator: "&", omittingEmptySubsequences: false).map { part -> String in
            let name = part.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            let decoded = name.removingPercentEncoding ?? name
            return Self.secretParameters.contains(decoded.lowercased()) ? "\(name)=REDACTED" : String(part)
        }
        return path + "?" + parts.joined(separator: "&")
    }
}
