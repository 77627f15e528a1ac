#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 or IPv6 address, parsed strictly (`inet_pton`: no leading zeros, no octal, no hostnames). An IPv4-mapped
/// IPv6 address (`::ffff:10.0.0.1`) is the IPv4 address, so one client has one spelling.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6), network order.
    public let bytes: [UInt8]

    public var isIPv4: Bool { self.bytes.count == 4 }

    /// Parses `text`: an address, optionally in brackets (`[2001:db8::1]`), an IPv6 zone (`%eth0`) dropped.
    public init?(_ text: some StringProtocol) {
        var text = Substring(text)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        if let percent = text.firstIndex(of: "%") { text = text[..<percent] }
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        let string = String(text)
        if !string.contains(":") {
            var v4 = in_addr()
            guard inet_pton(AF_INET, string, &v4) == 1 else { return nil }
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, string, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            self.bytes = Array(bytes[12..<16])
        } else {
            self.bytes = bytes
        }
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// The canonical text: dotted IPv4, or RFC 5952 IPv6 (lower case, the longest zero run as `::`).
    public var description: String {
        var buffer = [CChar](repeating: 0, count: 64)
        let ok = self.bytes.withUnsafeBytes { raw in
            inet_ntop(self.isIPv4 ? AF_INET : AF_INET6, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return self.bytes.map(String.init).joined(separator: ".") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The address with every bit after the first `prefixLength` cleared.
    public func masked(to prefixLength: Int) -> IPAddress {
        var bytes = self.bytes
        for i in bytes.indices {
            let keep = min(8, max(0, prefixLength - i * 8))
            bytes[i] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
        return IPAddress(bytes: bytes)
    }
}

/// An address block in CIDR notation (`10.0.0.0/8`, `fd00::/8`), or one address (`192.0.2.7`: a /32 or /128).
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    /// Parses `text`; nil when the address or the prefix length is invalid.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        // The written form sets the range: `::ffff:10.0.0.0/104` is an IPv6 prefix of a mapped IPv4 block.
        let bits = parts[0].contains(":") ? 128 : 32
        var length = address.bytes.count * 8
        if parts.count == 2 {
            guard parts[1].utf8.count <= 3, parts[1].allSatisfy(\.isASCII), let n = Int(parts[1]),
                (0...bits).contains(n)
            else { return nil }
            // An IPv4-mapped block (`::ffff:10.0.0.0/104`) is the IPv4 block.
            length = parts[0].contains(":") && address.isIPv4 ? n - 96 : n
            guard length >= 0 else { return nil }
        }
        self.network = address.masked(to: length)
        self.prefixLength = length
    }

    /// True when `address` is in the block (an IPv4 address is never in an IPv6 block, nor the reverse).
    public func contains(_ address: IPAddress) -> Bool {
        address.bytes.count == self.network.bytes.count && address.masked(to: self.prefixLength) == self.network
    }

    public var description: String { "\(self.network)/\(self.prefixLength)" }
}
