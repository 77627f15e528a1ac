import Crypto
import FinanceApp
import FinanceCore
import FinanceStorage
import Foundation
import HTTPTypes

/// Credentials of the test apps: every app `makeApp` builds signs and checks tokens with `secret` and holds the user
/// `adminName`, so `adminToken` (signed here, HS256, valid until 2100) opens every route.
public enum TestAuth {
    public static let secret = "financehub-tests-hs256-secret-0123456789"
    /// The settings of the test apps (a cheap bcrypt cost).
    public static let settings = AuthSettings(jwtSecret: secret, bcryptCost: 4)
    public static let adminName = "test-admin"
    public static let adminPassword = "test-admin-password"
    /// An access token of `adminName` (admin, enterprise).
    public static let adminToken = token(user: adminName, role: .admin, tier: .enterprise)
    /// `Authorization: Bearer <adminToken>`.
    public static var adminHeaders: HTTPFields { [.authorization: "Bearer \(adminToken)"] }

    /// An access token signed with `secret` (claims as the server issues them; `exp` in 2100 unless given).
    public static func token(
        user: String, role: UserRole, tier: UserTier, expiresAt: Int64 = 4_102_444_800, notBefore: Int64 = 0,
        issuer: String = "financehub", audience: String = "financehub", jti: String = UUID().uuidString,
        key: String = secret, algorithm: String = "HS256"
    ) -> String {
        let header = #"{"alg":"\#(algorithm)","typ":"JWT"}"#
        let payload =
            #"{"sub":"\#(user)","role":"\#(role.rawValue)","tier":"\#(tier.rawValue)","iat":\#(notBefore),"#
            + #""nbf":\#(notBefore),"exp":\#(expiresAt),"jti":"\#(jti)","iss":"\#(issuer)","aud":["\#(audience)"]}"#
        let signingInput = base64URL(Data(header.utf8)) + "." + base64URL(Data(payload.utf8))
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data(signingInput.utf8), using: SymmetricKey(data: Data(key.utf8)))
        return signingInput + "." + base64URL(Data(mac))
    }

    /// Base64url without padding.
    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The auth service of a test app on `users`, with `adminName` created when missing.
    public static func service(users: any UserRepository, clock: any WallClock = SystemClock()) async throws
        -> AuthService
    {
        let auth = try await AuthService.make(settings: settings, users: users, clock: clock)
        try await self.ensureAdmin(users, auth: auth)
        return auth
    }

    /// Creates `adminName` unless it exists.
    public static func ensureAdmin(_ users: any UserRepository, auth: AuthService) async throws {
        do {
            try await users.createUser(
                User(
                    name: adminName, passwordHash: auth.hashPassword(adminPassword), role: .admin, tier: .enterprise,
                    createdAt: 0))
        } catch StorageError.conflict {}
    }
}

extension HTTPField.Name {
    /// `X-API-Key`.
    public static let apiKeyHeader = Self("X-API-Key")!
}
