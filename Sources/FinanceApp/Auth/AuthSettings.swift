/// Settings of authentication (`auth.*`).
public struct AuthSettings: Sendable, Equatable {
    /// The HS256 key (its UTF-8 bytes, at least 32); nil: a key generated once and kept in the database, so that
    /// every instance shares it.
    public var jwtSecret: String?
    public var accessTokenSeconds: Int
    public var refreshTokenDays: Int
    /// Clock skew allowed when checking `exp` and `nbf`.
    public var leewaySeconds: Int
    public var issuer: String
    public var audience: String
    /// bcrypt's cost (work factor 2^cost); tests lower it.
    public var bcryptCost: UInt8

    /// The shortest secret accepted, in bytes (JWTKit asserts HMAC keys of at least 32 bytes).
    public static let minimumSecretBytes = 32

    public init(
        jwtSecret: String? = nil, accessTokenSeconds: Int = 900, refreshTokenDays: Int = 30, leewaySeconds: Int = 30,
        issuer: String = "financehub", audience: String = "financehub", bcryptCost: UInt8 = 12
    ) {
        self.jwtSecret = jwtSecret
        self.accessTokenSeconds = accessTokenSeconds
        self.refreshTokenDays = refreshTokenDays
        self.leewaySeconds = leewaySeconds
        self.issuer = issuer
        self.audience = audience
        self.bcryptCost = bcryptCost
    }
}
