import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// POSTs to URLs users gave (webhooks, push servers) with the SSRF guard: the host is resolved here, every address
/// it resolves to is checked (`IPAddress.isPublicUnicast`) unless private targets are allowed, and the connection
/// goes to the first checked address (AsyncHTTPClient's `dnsOverride`: the `Host` header, SNI and the certificate
/// check keep the name), so a second lookup that would answer differently (DNS rebinding) never happens. Redirects
/// are not followed; proxies are not used.
public struct GuardedHTTPClient: Sendable {
    public let resolver: any HostResolver
    public let eventLoopGroup: any EventLoopGroup
    public let logger: Logger

    public init(
        resolver: any HostResolver = SystemHostResolver(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "financehub.alerts.http")
    ) {
        self.resolver = resolver
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Why a request was not answered. `isPermanent` failures are not worth retrying.
    public enum Failure: Error, Hashable, CustomStringConvertible {
        /// Not an absolute http or https URL with a host.
        case invalidURL(String)
        /// The host resolves to an address the guard refuses.
        case refusedAddress(host: String, setting: String)
        case unresolvable(String)
        case timedOut
        case transport(String)

        public var isPermanent: Bool {
            switch self {
            case .invalidURL, .refusedAddress: return true
            case .unresolvable, .timedOut, .transport: return false
            }
        }

        public var description: String {
            switch self {
            case .invalidURL(let why): return "invalid URL: \(why)"
            case .refusedAddress(let host, let setting):
                return
                    "refused: \(host) resolves to a loopback, private or reserved address (allowed only with \(setting))"
            case .unresolvable(let why): return why
            case .timedOut: return "timed out"
            case .transport(let why): return "connection failed: \(why)"
            }
        }
    }

    /// The parts of a URL the guard needs.
    struct Target: Equatable {
        var host: String
        var literal: IPAddress?
    }

    /// Checks `url` the way `post` does (scheme and host), without resolving it.
    static func target(_ url: String) throws(Failure) -> Target {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased() else {
            throw .invalidURL("not an absolute URL")
        }
        guard scheme == "http" || scheme == "https" else { throw .invalidURL("the scheme must be http or https") }
        guard var host = parsed.host, !host.isEmpty else { throw .invalidURL("no host") }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return Target(host: host, literal: IPAddress(host))
    }

    /// POSTs `body` to `url` and returns the answer's status code (a redirect is returned as it is).
    /// - Parameters:
    ///   - allowPrivate: whether non-public addresses may be reached.
    ///   - setting: the setting that allows them, named in the refusal.
    public func post(
        _ url: String, headers: HTTPHeaders, body: [UInt8], timeout: TimeAmount, allowPrivate: Bool, setting: String
    ) async throws(Failure) -> Int {
        let target = try Self.target(url)
        let addresses: [IPAddress]
        if let literal = target.literal {
            addresses = [literal]
        } else {
            do {
                addresses = try await self.resolver.resolve(host: target.host)
            } catch {
                throw .unresolvable("\(error)")
            }
            guard !addresses.isEmpty else { throw .unresolvable("\(target.host) does not resolve") }
        }
        if !allowPrivate, addresses.contains(where: { !$0.isPublicUnicast }) {
            throw .refusedAddress(host: target.host, setting: setting)
        }
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: timeout, read: timeout)
        configuration.proxy = nil
        if target.literal == nil { configuration.dnsOverride = [target.host: addresses[0].description] }
        let client = HTTPClient(
            eventLoopGroup: self.eventLoopGroup, configuration: configuration, backgroundActivityLogger: self.logger)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers = headers
        request.body = .bytes(ByteBuffer(bytes: body))
        let result: Result<Int, Failure>
        do {
            let response = try await client.execute(request, timeout: timeout, logger: self.logger)
            // Read a little of the answer (nothing of it is kept); the connection closes with the client.
            _ = try? await response.body.collect(upTo: 65_536)
            result = .success(Int(response.status.code))
        } catch let error as HTTPClientError
            where error == .deadlineExceeded || error == .readTimeout
            || error == .connectTimeout
        {
            result = .failure(.timedOut)
        } catch {
            result = .failure(.transport(Self.describe(error)))
        }
        try? await client.shutdown()
        return try result.get()
    }

    /// A short, secret-free text of a transport error.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        if let error = error as? IOError { return error.description }
        if let error = error as? NIOConnectionError {
            let causes = error.connectionErrors.map { "\($0.error)" }
            return "could not connect to port \(error.port)"
                + (causes.isEmpty ? "" : " (\(causes.joined(separator: "; ")))")
        }
        return String(describing: type(of: error))
    }
}
