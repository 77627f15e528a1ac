import FinanceApp
import FinanceCore
import Hummingbird

/// `DELETE /api/admin/tokens/{jti}`: revokes one access token by its id; every instance refuses it within 2 s.
/// (The admin role is checked for all of /api/admin by `AuthenticationMiddleware`.)
struct AdminTokensController {
    let auth: AuthService
    let audit: AuditLog

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.delete("{jti}", use: self.revoke)
    }

    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> Response {
        let jti = context.parameters.get("jti") ?? ""
        guard (1...128).contains(jti.utf8.count),
            jti.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        else {
            throw ValidationError(field: "jti", detail: "jti must be 1–128 letters, digits or '-'")
        }
        try await self.auth.revoke(tokenId: jti)
        self.audit.record(.tokenRevoked, user: context.principal?.user, detail: "access token \(jti) by an admin")
        return Response(status: .noContent)
    }
}
