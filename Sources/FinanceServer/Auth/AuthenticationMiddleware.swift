import FinanceApp
import Foundation
import HTTPTypes
import Hummingbird

/// Everything under `/api` needs a caller: an access token (`Authorization: Bearer <jwt>`) or an API key
/// (`X-API-Key: fhk_...`), except sign-in itself (`/api/auth/login`, `/refresh`, `/logout`). Added before the
/// routes, it also answers unknown paths under /api with 401 rather than 404, so an anonymous client learns nothing
/// about what exists. Users are then held to their tier's request rate (admins and service keys are not), and
/// everything under `/api/admin` needs the admin role.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let auth: AuthService
    let limiter: RequestRateLimiter

    /// The paths under /api that need no caller.
    static let publicPaths: Set<String> = ["/api/auth/login", "/api/auth/refresh", "/api/auth/logout"]

    func handle(
        _ request: Request, context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        guard path == "/api" || path.hasPrefix("/api/"), !Self.publicPaths.contains(path) else {
            return try await next(request, context)
        }
        let principal = try await self.authenticate(request)
        if principal.isRateLimited,
            case .limited(let seconds) = self.limiter.admit(user: principal.user, tier: principal.tier)
        {
            var problem = Problem(
                status: .tooManyRequests,
                detail: "more than \(self.limiter.perMinute[principal.tier] ?? 0) requests per minute for the "
                    + "\(principal.tier.rawValue) tier; retry after \(seconds) s")
            problem.headers["Retry-After"] = String(seconds)
            throw problem
        }
        // Every admin route, present and future, in one place.
        if path == "/api/admin" || path.hasPrefix("/api/admin/"), principal.role != .admin {
            throw Problem(status: .forbidden, detail: "this needs the admin role")
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }

    /// The caller of a request: its bearer token when it sends one, else its API key.
    private func authenticate(_ request: Request) async throws -> Principal {
        if let token = Self.bearerToken(request.headers[.authorization]) {
            return try await self.auth.verify(accessToken: token)
        }
        if let key = request.headers[.xAPIKey] {
            return try await self.auth.verify(apiKey: key)
        }
        throw AuthError.invalidToken("a token is required: Authorization: Bearer <access_token> or X-API-Key")
    }

    /// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), else nil.
    static func bearerToken(_ header: String?) -> String? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}

extension HTTPField.Name {
    /// `X-API-Key`: an API key instead of a bearer token.
    static let xAPIKey = Self("X-API-Key")!
}
