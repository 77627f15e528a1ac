import Hummingbird
import NIOCore

/// Who made a request, once authentication has established it.
public struct RequestIdentity: Sendable, Equatable {
    /// The user's (or API key's) name.
    public var subject: String
    /// The role, e.g. `admin`, `user`, `service`.
    public var role: String

    public init(subject: String, role: String) {
        self.subject = subject
        self.role = role
    }
}

/// The request context of every FinanceHub route: Hummingbird's core storage plus the peer's address (for per-IP
/// limits) and the identity that authentication sets.
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The address the connection came from (nil in router tests without a socket).
    public let remoteAddress: SocketAddress?
    /// The authenticated caller, nil until authentication establishes one.
    public var identity: RequestIdentity?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.identity = nil
    }
}
