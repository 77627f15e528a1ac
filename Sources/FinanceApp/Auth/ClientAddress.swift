/// The proxies whose `X-Forwarded-For` is believed (`http.trustedProxies`): addresses and CIDR blocks, IPv4 and
/// IPv6. Empty by default: then the peer address is the client, whatever a request claims.
public struct TrustedProxies: Hashable, Sendable {
    public let networks: [IPNetwork]

    public init(_ networks: [IPNetwork] = []) { self.networks = networks }

    /// Parses each entry (`10.0.0.0/8`, `::1`); throws naming the first entry that is neither an address nor a block.
    public init(parsing entries: [String]) throws(InvalidEntry) {
        var networks: [IPNetwork] = []
        for entry in entries {
            let trimmed = entry.trimmingSpaces
            guard let network = IPNetwork(trimmed) else { throw InvalidEntry(entry: trimmed) }
            networks.append(network)
        }
        self.networks = networks
    }

    /// An entry that is neither an IP address nor a CIDR block.
    public struct InvalidEntry: Error, Hashable, Sendable {
        public let entry: String
    }

    /// True when `address` is one of the proxies.
    public func contains(_ address: IPAddress) -> Bool { self.networks.contains { $0.contains(address) } }
}

/// The address a request comes from, for per-address limits, bans and the audit log.
public enum ClientAddress {
    /// The client's address in canonical text: the peer's, unless the peer is a trusted proxy; then the nearest
    /// address of `X-Forwarded-For` that is not a trusted proxy, read from the right (each proxy appends the address
    /// it saw, so entries left of the first untrusted one are the client's own claims and are ignored). When every
    /// entry is trusted, the leftmost; an entry that is no address ends the walk at the last trusted hop.
    ///
    /// `forwardedFor` holds the header's values in order (a request may carry several lines). Nil when the peer is
    /// unknown or not an IP address (a Unix socket).
    public static func resolve(peer: String?, forwardedFor: [String], trusted: TrustedProxies) -> String? {
        guard let peer, let peerAddress = IPAddress(peer) else { return nil }
        guard !trusted.networks.isEmpty, trusted.contains(peerAddress) else { return peerAddress.description }
        var client = peerAddress
        // The right-most entries are the nearest hops; a huge header is read only so far.
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.suffix(Self.maxHops).reversed()
        for hop in hops {
            guard let address = Self.address(ofHop: hop) else { break }
            client = address
            if !trusted.contains(address) { break }
        }
        return client.description
    }

    /// The most `X-Forwarded-For` entries read (from the right).
    public static let maxHops = 32

    /// The key of per-address limits and bans: an IPv4 address, or an IPv6 address's /64 (one client, one network,
    /// usually holds a whole /64, so per-address keys would let it take 2^64 fresh starts). Text that is no address
    /// is its own key.
    public static func limitKey(_ ip: String) -> String {
        guard let address = IPAddress(ip) else { return String(ip.prefix(64)) }
        return address.isIPv4 ? address.description : "\(address.masked(to: 64))/64"
    }

    /// One `X-Forwarded-For` entry: an address, maybe with a port (`192.0.2.1:4711`, `[2001:db8::1]:443`).
    private static func address(ofHop hop: Substring) -> IPAddress? {
        let text = Substring(hop.trimmingSpaces)
        if let direct = IPAddress(text) { return direct }
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            return IPAddress(text[text.index(after: text.startIndex)..<close])
        }
        // IPv4 with a port: one colon.
        if let colon = text.firstIndex(of: ":"), text[text.index(after: colon)...].allSatisfy(\.isNumber) {
            return IPAddress(text[..<colon])
        }
        return nil
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let first = s.first, first == " " || first == "\t" { s = s.dropFirst() }
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
