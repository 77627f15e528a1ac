import FinanceApp
import HTTPTypes
import Hummingbird
import NIOCore

/// The client's address of a request: the peer's, or `X-Forwarded-For`'s nearest untrusted entry when the peer is one
/// of `http.trustedProxies` (`ClientAddress`).
enum ClientIP {
    static func of(_ request: Request, peer: SocketAddress?, trusted: TrustedProxies) -> String? {
        let forwarded = request.headers[values: .xForwardedFor]
        return ClientAddress.resolve(peer: peer?.ipAddress, forwardedFor: forwarded, trusted: trusted)
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
