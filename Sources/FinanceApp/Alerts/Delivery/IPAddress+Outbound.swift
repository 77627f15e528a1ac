extension IPAddress {
    /// An address from its 4 or 16 network-order bytes; an IPv4-mapped IPv6 address becomes its IPv4 address, as
    /// parsing does. Nil for any other length.
    init?(networkBytes bytes: [UInt8]) {
        switch bytes.count {
        case 4: self.init(bytes: bytes)
        case 16:
            let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
            self.init(bytes: mapped ? Array(bytes[12..<16]) : bytes)
        default: return nil
        }
    }

    /// The blocks an outbound request (a webhook, a push server) must not reach unless private targets are allowed:
    /// this host, private and shared networks, link-local, unique-local, multicast, unspecified, reserved and
    /// documentation ranges, in IPv4 and IPv6.
    static let nonPublicNetworks: [IPNetwork] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "100::/64", "2001::/32", "2001:db8::/32", "fc00::/7", "fe80::/10", "fec0::/10",
        "ff00::/8",
    ].map { IPNetwork($0)! }

    /// IPv6 blocks that embed an IPv4 address, judged by that address: NAT64 (`64:ff9b::/96`, last 4 bytes), 6to4
    /// (`2002::/16`, bytes 2–5) and the deprecated IPv4-compatible form (`::/96`, last 4 bytes).
    private static let embeddingNetworks: [(IPNetwork, Range<Int>)] = [
        (IPNetwork("64:ff9b::/96")!, 12..<16), (IPNetwork("2002::/16")!, 2..<6), (IPNetwork("::/96")!, 12..<16),
    ]

    /// True when the address is a public unicast one: none of `nonPublicNetworks`, nor an IPv6 address that embeds
    /// a non-public IPv4 address. (An IPv4-mapped IPv6 address is already its IPv4 address.)
    public var isPublicUnicast: Bool {
        if Self.nonPublicNetworks.contains(where: { $0.contains(self) }) { return false }
        for (network, range) in Self.embeddingNetworks where network.contains(self) {
            return IPAddress(bytes: Array(self.bytes[range])).isPublicUnicast
        }
        return true
    }
}
