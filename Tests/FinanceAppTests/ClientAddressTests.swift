import FinanceApp
import XCTest

/// Address parsing, CIDR blocks, and who the client is behind (or in front of) proxies, spoofing attempts included.
final class ClientAddressTests: XCTestCase {
    func testAddressesParseStrictlyToOneCanonicalSpelling() {
        let valid: [(String, String)] = [
            ("192.0.2.1", "192.0.2.1"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"),
            ("::1", "::1"), ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"), ("[2001:db8::1]", "2001:db8::1"),
            ("fe80::1%eth0", "fe80::1"), ("::ffff:192.0.2.1", "192.0.2.1"), ("::FFFF:c000:0201", "192.0.2.1"),
            ("2001:db8:0:1:0:0:0:0", "2001:db8:0:1::"),
        ]
        for (text, canonical) in valid {
            XCTAssertEqual(IPAddress(text)?.description, canonical, text)
        }
        let invalid = [
            "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4/8", "abc", "localhost", " 1.2.3.4",
            "1.2.3.4 ", "::g", "1:2:3:4:5:6:7:8:9", "[::1", "0x7f.0.0.1", "2130706433",
            String(repeating: "1", count: 10_000),
        ]
        for text in invalid { XCTAssertNil(IPAddress(text), text) }
    }

    func testNetworksMatchTheirBlockOnly() throws {
        let block = try XCTUnwrap(IPNetwork("10.0.0.0/8"))
        XCTAssertTrue(block.contains(IPAddress("10.255.1.2")!))
        XCTAssertFalse(block.contains(IPAddress("11.0.0.1")!))
        XCTAssertFalse(block.contains(IPAddress("::ffff:b00:1")!), "11.0.0.1 mapped")
        XCTAssertTrue(block.contains(IPAddress("::ffff:a00:1")!), "10.0.0.1 mapped")
        XCTAssertEqual(IPNetwork("10.1.2.3/8")?.description, "10.0.0.0/8", "host bits cleared")
        let single = try XCTUnwrap(IPNetwork("192.0.2.7"))
        XCTAssertEqual(single.prefixLength, 32)
        XCTAssertTrue(single.contains(IPAddress("192.0.2.7")!))
        XCTAssertFalse(single.contains(IPAddress("192.0.2.8")!))
        let v6 = try XCTUnwrap(IPNetwork("fd00::/8"))
        XCTAssertTrue(v6.contains(IPAddress("fd12:3456::1")!))
        XCTAssertFalse(v6.contains(IPAddress("fe80::1")!))
        XCTAssertFalse(v6.contains(IPAddress("10.0.0.1")!), "IPv4 is never in an IPv6 block")
        XCTAssertFalse(try XCTUnwrap(IPNetwork("0.0.0.0/0")).contains(IPAddress("::1")!))
        XCTAssertTrue(try XCTUnwrap(IPNetwork("0.0.0.0/0")).contains(IPAddress("203.0.113.9")!))
        XCTAssertTrue(try XCTUnwrap(IPNetwork("::/0")).contains(IPAddress("2001:db8::5")!))
        XCTAssertTrue(try XCTUnwrap(IPNetwork("10.1.2.3/31")).contains(IPAddress("10.1.2.2")!))
        XCTAssertEqual(IPNetwork("::ffff:10.0.0.0/104")?.description, "10.0.0.0/8", "a mapped block is IPv4")
        for text in ["10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/abc", "/8", "::/129", "10.0.0.0/8/8", "x/8"] {
            XCTAssertNil(IPNetwork(text), text)
        }
    }

    func testTrustedProxiesParseOrNameTheBadEntry() throws {
        let proxies = try TrustedProxies(parsing: ["10.0.0.0/8", " ::1 ", "192.0.2.10"])
        XCTAssertEqual(proxies.networks.map(\.description), ["10.0.0.0/8", "::1/128", "192.0.2.10/32"])
        XCTAssertThrowsError(try TrustedProxies(parsing: ["10.0.0.0/8", "proxy.internal"])) { error in
            XCTAssertEqual((error as? TrustedProxies.InvalidEntry)?.entry, "proxy.internal")
        }
    }

    private func resolve(_ peer: String?, _ xff: [String], trusted: [String]) throws -> String? {
        ClientAddress.resolve(peer: peer, forwardedFor: xff, trusted: try TrustedProxies(parsing: trusted))
    }

    func testWithoutTrustedProxiesThePeerIsTheClientWhateverTheHeaderSays() throws {
        XCTAssertEqual(try self.resolve("203.0.113.9", ["1.1.1.1"], trusted: []), "203.0.113.9")
        XCTAssertEqual(try self.resolve("::ffff:203.0.113.9", [], trusted: []), "203.0.113.9")
        XCTAssertEqual(try self.resolve("2001:DB8::1", [], trusted: []), "2001:db8::1")
        // A peer that is not a trusted proxy cannot pick its address either.
        XCTAssertEqual(try self.resolve("203.0.113.9", ["10.0.0.1"], trusted: ["10.0.0.0/8"]), "203.0.113.9")
        XCTAssertNil(try self.resolve(nil, ["1.1.1.1"], trusted: []))
        XCTAssertNil(try self.resolve("unix-socket", ["1.1.1.1"], trusted: ["10.0.0.0/8"]))
    }

    func testBehindTrustedProxiesTheNearestUntrustedHopIsTheClient() throws {
        let trusted = ["10.0.0.0/8", "fd00::/8"]
        XCTAssertEqual(try self.resolve("10.0.0.2", ["198.51.100.4"], trusted: trusted), "198.51.100.4")
        // Two proxies: the load balancer (10.0.0.5) appended the client, the ingress (10.0.0.2) the balancer.
        XCTAssertEqual(
            try self.resolve("10.0.0.2", ["198.51.100.4, 10.0.0.5"], trusted: trusted), "198.51.100.4")
        // The client's own claims (left of what the proxies saw) are ignored.
        XCTAssertEqual(
            try self.resolve("10.0.0.2", ["127.0.0.1, 10.9.9.9, 198.51.100.4"], trusted: trusted), "198.51.100.4",
            "a spoofed trusted address on the left does not matter")
        XCTAssertEqual(
            try self.resolve("10.0.0.2", ["garbage, 198.51.100.4"], trusted: trusted), "198.51.100.4")
        // Several header lines read as one list, in order.
        XCTAssertEqual(
            try self.resolve("10.0.0.2", ["6.6.6.6", "198.51.100.4, 10.0.0.7"], trusted: trusted), "198.51.100.4")
        // Ports and brackets.
        XCTAssertEqual(try self.resolve("10.0.0.2", ["198.51.100.4:5123"], trusted: trusted), "198.51.100.4")
        XCTAssertEqual(try self.resolve("fd00::2", ["[2001:DB8::7]:443"], trusted: trusted), "2001:db8::7")
        XCTAssertEqual(try self.resolve("fd00::2", ["2001:db8::7"], trusted: trusted), "2001:db8::7")
        // Everything trusted: the leftmost (an internal client).
        XCTAssertEqual(try self.resolve("10.0.0.2", ["10.1.1.1, 10.0.0.5"], trusted: trusted), "10.1.1.1")
        // No header: the proxy itself.
        XCTAssertEqual(try self.resolve("10.0.0.2", [], trusted: trusted), "10.0.0.2")
        XCTAssertEqual(try self.resolve("10.0.0.2", [""], trusted: trusted), "10.0.0.2")
        // An entry that is no address, next to the proxy: the walk stops at the last trusted hop.
        XCTAssertEqual(try self.resolve("10.0.0.2", ["198.51.100.4, unknown"], trusted: trusted), "10.0.0.2")
        XCTAssertEqual(
            try self.resolve("10.0.0.2", ["198.51.100.4, 10.0.0.5, _hidden"], trusted: trusted), "10.0.0.2")
    }

    func testAHugeForwardedForHeaderIsReadOnlySoFar() throws {
        let spoof = Array(repeating: "10.0.0.9", count: 100_000).joined(separator: ",")
        let start = ContinuousClock.now
        let client = try self.resolve("10.0.0.2", [spoof], trusted: ["10.0.0.0/8"])
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2))
        XCTAssertEqual(
            client, "10.0.0.9", "every hop read is trusted: the leftmost of the last \(ClientAddress.maxHops)")
        XCTAssertEqual(
            try self.resolve("10.0.0.2", ["198.51.100.4, " + spoof], trusted: ["10.0.0.0/8"]), "10.0.0.9",
            "past maxHops trusted hops the client is not looked for")
    }

    func testLimitKeysGroupAnIPv6NetworkAndOneAddressSpelling() {
        XCTAssertEqual(ClientAddress.limitKey("192.0.2.1"), "192.0.2.1")
        XCTAssertEqual(ClientAddress.limitKey("::ffff:192.0.2.1"), "192.0.2.1")
        XCTAssertEqual(ClientAddress.limitKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64")
        XCTAssertEqual(ClientAddress.limitKey("2001:DB8:1:2::9"), "2001:db8:1:2::/64")
        XCTAssertEqual(ClientAddress.limitKey("not an address"), "not an address")
    }
}
