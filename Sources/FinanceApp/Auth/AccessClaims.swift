import FinanceCore
import Foundation
import JWTKit

/// The claims of an access token (a JWT, HS256): who (`sub`), what they may do (`role`, `tier`), when (`iat`, `nbf`,
/// `exp`), which token (`jti`, revocable) and for whom (`iss`, `aud`). Times are checked by `AuthService` against
/// its clock with the configured leeway, so the signature check here is JWTKit's and the rest is ours.
struct AccessClaims: JWTPayload, Equatable {
    var sub: SubjectClaim
    var role: String
    var tier: String
    var iat: IssuedAtClaim
    var nbf: NotBeforeClaim
    var exp: ExpirationClaim
    var jti: IDClaim
    var iss: IssuerClaim
    var aud: AudienceClaim
    /// The sign-in (refresh-token family) it was issued from: revoking the sign-in revokes it too.
    var fam: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Who a request acts as, from a verified access token or API key.
public struct Principal: Sendable, Equatable {
    /// The user's name; for a service key `service:<key id>`.
    public var user: String
    public var role: UserRole
    public var tier: UserTier
    /// When the token expires, ms since the epoch (`Int64.max` for an API key).
    public var expiresAt: Int64
    /// The token's id (`jti`), or `key:<key id>` for an API key.
    public var tokenId: String
    /// The sign-in the token was issued from, nil for API keys and older tokens.
    public var family: String? = nil
    /// A service API key: it may ingest and write assets like an admin, and is not rate limited.
    public var isService = false

    /// Admins and service keys may ingest data and write assets.
    public var mayWrite: Bool { self.role == .admin || self.isService }
    /// Admins and service keys are not rate limited.
    public var isRateLimited: Bool { !self.mayWrite }
}
