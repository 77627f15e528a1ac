import FinanceCore
import FinanceStorage
import XCTest

/// The relay's payloads: what goes in comes out, in order, in payloads that fit the limit.
final class RelayCodecTests: XCTestCase {
    private static let t0: Int64 = 1_717_000_000_000

    /// Packs, puts headers in front (sequence from 1) and decodes every payload; returns the payloads and messages.
    private func roundTrip(_ messages: [RelayMessage], maxBytes: Int = RelayCodec.maxPayloadBytes) throws -> (
        payloads: [String], messages: [RelayMessage], rejected: Int
    ) {
        let (bodies, rejected) = RelayCodec.pack(messages, instance: "a1b2c3d4e5f6", maxBytes: maxBytes)
        var out: [RelayMessage] = []
        var payloads: [String] = []
        for (i, body) in bodies.enumerated() {
            let payload = RelayCodec.header(instance: "a1b2c3d4e5f6", sequence: UInt64(i + 1)) + body.text
            let decoded = try XCTUnwrap(RelayCodec.decode(payload), payload)
            XCTAssertEqual(decoded.instance, "a1b2c3d4e5f6")
            XCTAssertEqual(decoded.sequence, UInt64(i + 1))
            XCTAssertEqual(decoded.messages.count, body.count)
            out += decoded.messages
            payloads.append(payload)
        }
        return (payloads, out, rejected)
    }

    func testEveryKindOfMessageComesBackAsItWent() throws {
        let messages: [RelayMessage] = [
            .market(.tick(Tick(symbol: "BTC", ts: Self.t0, price: 67000.5, size: 0.01))),
            .market(.tick(Tick(symbol: "BTC", ts: Self.t0 + 250, price: 67001, bid: 67000, ask: 67002))),
            .market(.tick(Tick(symbol: "BTC", ts: Self.t0 - 10, price: 1e-7, askSize: 3))),
            .market(.tick(Tick(symbol: "BRK.B", ts: Self.t0, price: 412.125, size: 0, bidSize: 1.5))),
            .market(
                .bar(
                    symbol: "BRK.B", interval: .minute1,
                    bar: Bar(ts: Self.t0 - 60_000, open: 10, high: 11, low: 9, close: 10.5, volume: 300))),
            .market(
                .bar(
                    symbol: "^GSPC", interval: .day1,
                    bar: Bar(ts: 1_716_940_800_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 12345.678),
                    batchStart: 1_700_000_000_000)),
            .alert(user: "alice", body: "{\"type\":\"alert\",\n \"message\":\"BTC above 67,000 — \\n\"}"),
            .revoke(.token(jti: "5b0e8d6c-1f2a-4c3b-9d8e-7f6a5b4c3d2e")),
            .revoke(.user("bob.smith@example")),
            .alertChanged(id: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
        ]
        let (payloads, decoded, rejected) = try self.roundTrip(messages)
        XCTAssertEqual(rejected, 0)
        XCTAssertEqual(payloads.count, 1)
        // The alert's JSON line break (between tokens) became a space; everything else is exact.
        var expected = messages
        expected[6] = .alert(user: "alice", body: "{\"type\":\"alert\",  \"message\":\"BTC above 67,000 — \\n\"}")
        XCTAssertEqual(decoded, expected)
        XCTAssertTrue(payloads[0].contains("\nt * 250 67001 - 67000 67002\n"), payloads[0])
    }

    func testManyTicksSplitIntoPayloadsUnderTheLimitInOrder() throws {
        let symbols = ["BTC", "ETH", "AAPL", "MSFT", "EURUSD=X"]
        let ticks = (0..<20_000).map { (i: Int) -> RelayMessage in
            let price: Double = 100 + Double(i % 1000) / 64
            let size: Double = Double(i % 9) / 100
            let tick = Tick(
                symbol: symbols[(i / 7) % symbols.count], ts: Self.t0 + Int64(i * 13), price: price, size: size)
            return .market(.tick(tick))
        }
        let (payloads, decoded, rejected) = try self.roundTrip(ticks)
        XCTAssertEqual(rejected, 0)
        XCTAssertEqual(decoded, ticks, "every tick, in order, across payload boundaries")
        XCTAssertGreaterThan(payloads.count, 20)
        for payload in payloads { XCTAssertLessThanOrEqual(payload.utf8.count, RelayCodec.maxPayloadBytes) }
        // Nearly full payloads: the packer fills each before starting the next.
        for payload in payloads.dropLast() {
            XCTAssertGreaterThan(payload.utf8.count, RelayCodec.maxPayloadBytes - 100)
        }
        let bytes: Int = payloads.reduce(0) { $0 + $1.utf8.count }
        let perTick = Double(bytes) / Double(ticks.count)
        XCTAssertLessThan(perTick, 30, "compact: about \(perTick) bytes per tick")
    }

    func testASmallLimitAndTheLargestSequenceNumberStillFit() throws {
        let ticks = Array(
            repeating: RelayMessage.market(.tick(Tick(symbol: "SAME", ts: Self.t0, price: 1.5))), count: 500)
        let (bodies, rejected) = RelayCodec.pack(ticks, instance: "x", maxBytes: 120)
        XCTAssertEqual(rejected, 0)
        XCTAssertGreaterThan(bodies.count, 20)
        for body in bodies {
            let payload = RelayCodec.header(instance: "x", sequence: .max) + body.text
            XCTAssertLessThanOrEqual(payload.utf8.count, 120)
            XCTAssertEqual(RelayCodec.decode(payload)?.messages.count, body.count)
        }
    }

    func testMessagesThatCannotBeWrittenAreSkippedAndTheRestGoes() throws {
        let ok = RelayMessage.market(.tick(Tick(symbol: "OK", ts: Self.t0, price: 1)))
        let messages: [RelayMessage] = [
            ok,
            .alert(user: "alice", body: String(repeating: "x", count: 9_000)),  // too large alone
            .alert(user: "Not Normal", body: "{}"),
            .alert(user: "alice", body: ""),
            .market(.tick(Tick(symbol: "not valid", ts: Self.t0, price: 1))),
            .market(.tick(Tick(symbol: "*", ts: Self.t0, price: 1))),
            .revoke(.token(jti: "has space")),
            .revoke(.user("")),
            .alertChanged(id: "two words"),
            ok,
        ]
        let (_, decoded, rejected) = try self.roundTrip(messages)
        XCTAssertEqual(rejected, 8)
        XCTAssertEqual(decoded, [ok, ok])
    }

    func testPayloadsThatAreNotOursAreRefusedWhole() {
        let good = "fh1 abc 7\nt BTC \(Self.t0) 1"
        XCTAssertNotNil(RelayCodec.decode(good))
        XCTAssertEqual(RelayCodec.decode("fh1 abc 7")?.messages, [])
        for bad in [
            "", "hello", "fh2 abc 7\nt BTC 1 1", "fh1 abc\nt BTC 1 1", "fh1 abc -1", "fh1  7",
            good + "\nt * 1 nan", good + "\nt * 1 inf", good + "\nt * 1", good + "\nt * x 1",
            good + "\nt * 1 1 1 1 1 1 1 1", good + "\nt * 99999999999999999 1", good + "\nt bad!sym 1 1",
            "fh1 abc 7\nt * 1 1", good + "\nb * 7m 0 1 1 1 1 1", good + "\nb * 1m 0 1 1 1 1",
            good + "\na Alice {}", good + "\na alice ", good + "\nr x 1", good + "\nr j", good + "\nq", good + "\n",
        ] {
            XCTAssertNil(RelayCodec.decode(bad), bad)
        }
    }
}

/// The relay of instances within one process.
final class InProcessRelayTests: XCTestCase {
    func testRelaysOnOneNetworkReachEachOtherButNeverThemselves() async throws {
        let network = InProcessRelay.Network()
        let a = InProcessRelay(network: network, instanceId: "a")
        let b = InProcessRelay(network: network, instanceId: "b")
        let alone = InProcessRelay()
        XCTAssertEqual(alone.summary, "off (a single instance)")
        XCTAssertEqual(a.summary, "in process (1 other instance)")
        let message = RelayMessage.revoke(.user("alice"))
        try await a.send([message])
        try await alone.send([message])
        var iterator = b.received.makeAsyncIterator()
        let got = await iterator.next()
        XCTAssertEqual(got, [message])
        XCTAssertEqual(a.stats.sentPayloads, 1)
        XCTAssertEqual(a.stats.receivedPayloads, 0)
        XCTAssertEqual(b.stats.receivedMessages, 1)
        XCTAssertEqual(alone.stats.receivedPayloads, 0)
    }
}
