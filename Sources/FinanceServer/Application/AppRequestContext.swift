import FinanceApp
import Hummingbird
import NIOCore

/// The request context of every FinanceHub route: Hummingbird's core storage plus the peer's address (for per-IP
/// limits) and the caller that authentication establishes.
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The address the connection came from (nil in router tests without a socket).
    public let remoteAddress: SocketAddress?
    /// The authenticated caller (an access token or API key), nil until `AuthenticationMiddleware` sets it and on the
    /// public paths.
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.principal = nil
    }

    /// The caller, or a 401 (a route under /api reached without authentication: a wiring mistake).
    public func requirePrincipal() throws -> Principal {
        guard let principal = self.principal else { throw AuthError.invalidToken("a token is required") }
        return principal
    }

    /// The caller when they may ingest data and write assets (admin or service key), else a 403.
    @discardableResult
    public func requireWriter() throws -> Principal {
        let principal = try self.requirePrincipal()
        guard principal.mayWrite else {
            throw Problem(status: .forbidden, detail: "this needs the admin role or a service API key")
        }
        return principal
    }

    /// The caller when they are an admin, else a 403.
    @discardableResult
    public func requireAdmin() throws -> Principal {
        let principal = try self.requirePrincipal()
        guard principal.role == .admin else { throw Problem(status: .forbidden, detail: "this needs the admin role") }
        return principal
    }
}
