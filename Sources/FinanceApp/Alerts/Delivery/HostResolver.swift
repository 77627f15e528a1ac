import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns a host name into addresses. The outbound guard resolves names itself, checks every address and connects
/// to one it checked, so a name that resolves differently on a second lookup (DNS rebinding) cannot slip past.
public protocol HostResolver: Sendable {
    /// The host's addresses, in the resolver's preference order; empty or throwing when it has none.
    func resolve(host: String) async throws -> [IPAddress]
}

/// The system resolver (`getaddrinfo`), run on NIO's blocking-I/O thread pool.
public struct SystemHostResolver: HostResolver {
    public init() {}

    /// Why a name did not resolve.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public func resolve(host: String) async throws -> [IPAddress] {
        try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            #if canImport(Darwin)
                hints.ai_socktype = SOCK_STREAM
            #else
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            #endif
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &list)
            guard status == 0, let first = list else {
                throw Failure(description: "\(host) does not resolve: \(String(cString: gai_strerror(status)))")
            }
            defer { freeaddrinfo(first) }
            var addresses: [IPAddress] = []
            var node: UnsafeMutablePointer<addrinfo>? = first
            while let info = node {
                if let address = Self.address(info.pointee), !addresses.contains(address) {
                    addresses.append(address)
                }
                node = info.pointee.ai_next
            }
            return addresses
        }
    }

    private static func address(_ info: addrinfo) -> IPAddress? {
        guard let raw = info.ai_addr else { return nil }
        switch info.ai_family {
        case AF_INET:
            return raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                var address = v4.pointee.sin_addr
                return IPAddress(networkBytes: withUnsafeBytes(of: &address) { Array($0) })
            }
        case AF_INET6:
            return raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                var address = v6.pointee.sin6_addr
                return IPAddress(networkBytes: withUnsafeBytes(of: &address) { Array($0) })
            }
        default:
            return nil
        }
    }
}

/// Fixed answers, for tests (a name that "resolves" to loopback) and for deployments that pin webhook hosts.
public struct StaticHostResolver: HostResolver {
    public let answers: [String: [IPAddress]]

    public init(_ answers: [String: [IPAddress]]) { self.answers = answers }

    public func resolve(host: String) async throws -> [IPAddress] {
        guard let addresses = self.answers[host.lowercased()], !addresses.isEmpty else {
            throw SystemHostResolver.Failure(description: "\(host) does not resolve")
        }
        return addresses
    }
}
