import FinanceApp
import FinanceCore
import Hummingbird

/// Sign-in and tokens: `POST /api/auth/login`, `/refresh`, `/logout`, and personal API keys (`+Keys`). Bodies and answers use OAuth2's snake_case (the
/// one exception to the API's camelCase).
struct AuthController {
    let auth: AuthService
    let maxBodyBytes: Int
    /// Sign-in throttling (`auth.loginAttemptsPerMinute` per user and per address).
    let abuse: AbuseGuard
    let audit: AuditLog

    /// Adds the routes under `/api/auth`.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("login", use: self.login)
        group.post("refresh", use: self.refresh)
        group.post("logout", use: self.logout)
        self.addKeyRoutes(to: group)
    }

    /// `POST /api/auth/login {"username", "password"}`.
    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await self.read(request, ["username", "password"])
        let ip = ClientIP.of(request, peer: context.remoteAddress, trusted: self.abuse.settings.trustedProxies)
        let user = fields["username"]!.lowercased()
        if case .limited(let seconds) = self.abuse.loginAllowed(user: user, ip: ip) {
            self.audit.record(.limitHit, user: User.normalizeName(user), ip: ip, detail: "sign-in attempts")
            var problem = Problem(
                status: .tooManyRequests, detail: "too many failed sign-ins; retry after \(seconds) s")
            problem.headers["Retry-After"] = String(seconds)
            throw problem
        }
        let tokens: TokenPair
        do {
            tokens = try await self.auth.login(user: user, password: fields["password"]!)
        } catch let error as AuthError {
            self.abuse.loginFailed(user: user, ip: ip)
            self.audit.record(.loginFailed, user: User.normalizeName(user), ip: ip, detail: error.description)
            throw error
        }
        self.abuse.loginSucceeded(user: user)
        self.audit.record(.login, user: user, ip: ip)
        return try HTTP.json(TokenResponseDTO(tokens))
    }

    /// `POST /api/auth/refresh {"refresh_token"}`: new tokens; the old refresh token stops working.
    @Sendable func refresh(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await self.read(request, ["refresh_token"])
        let ip = ClientIP.of(request, peer: context.remoteAddress, trusted: self.abuse.settings.trustedProxies)
        do {
            let tokens = try await self.auth.refresh(fields["refresh_token"]!)
            self.audit.record(.tokenRefresh, ip: ip)
            return try HTTP.json(TokenResponseDTO(tokens))
        } catch AuthError.refreshReused {
            self.audit.record(.tokenRevoked, ip: ip, detail: "a rotated refresh token was used again: sign-in revoked")
            throw AuthError.refreshReused
        }
    }

    /// `POST /api/auth/logout {"refresh_token"}`: revokes the sign-in; 204.
    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await self.read(request, ["refresh_token"])
        try await self.auth.logout(fields["refresh_token"]!)
        self.audit.record(
            .logout, ip: ClientIP.of(request, peer: context.remoteAddress, trusted: self.abuse.settings.trustedProxies))
        return Response(status: .noContent)
    }

    /// The required string fields of a JSON object body (every other field is a 422 too).
    func read(_ request: Request, _ names: [String]) async throws -> [String: String] {
        guard case .object(let object) = try await JSONInput.parse(request, limit: self.maxBodyBytes) else {
            throw ValidationError(field: "", detail: "the body must be a JSON object")
        }
        var reader = FieldReader(object, index: nil)
        reader.rejectUnknown(Set(names))
        var out: [String: String] = [:]
        for name in names {
            if let value = reader.string(name, required: true) {
                if value.isEmpty || value.utf8.count > 4_096 {
                    reader.fail(name, "\(name) must be 1–4096 bytes")
                } else {
                    out[name] = value
                }
            }
        }
        if !reader.issues.isEmpty { throw ValidationError(reader.issues) }
        return out
    }
}

/// OAuth2's token response.
public struct TokenResponseDTO: Codable, Sendable, Equatable {
    public var access_token: String
    public var refresh_token: String
    public var token_type: String
    public var expires_in: Int

    init(_ tokens: TokenPair) {
        self.access_token = tokens.accessToken
        self.refresh_token = tokens.refreshToken
        self.token_type = "Bearer"
        self.expires_in = tokens.expiresIn
    }
}
