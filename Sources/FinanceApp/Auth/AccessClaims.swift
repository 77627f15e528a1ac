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

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Who a request acts as, from a verified token.
public struct Principal: Sendable, Equatable {
    public var user: String
    public var role: UserRole
    public var tier: UserTier
    /// When the token expires, ms since the epoch.
    public var expiresAt: Int64
    /// The token's id.
    public var tokenId: String
}
