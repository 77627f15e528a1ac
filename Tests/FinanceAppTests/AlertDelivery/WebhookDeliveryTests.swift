import Crypto
import FinanceApp
import FinanceCore
import FinanceStorage
import FinanceTestSupport
import Foundation
import XCTest

/// Webhooks against a real HTTP receiver on loopback: the signature, the SSRF guard, retries with backoff through
/// the outbox, redirects and timeouts.
final class WebhookDeliveryTests: XCTestCase {
    private var receiver: RecordingReceiver!
    private let clock = TestClock(t0)

    override func tearDown() async throws {
        await self.receiver?.stop()
        try await super.tearDown()
    }

    private func start(_ script: @escaping RecordingReceiver.Script = { _, _ in (200, nil, .zero) }) async throws {
        self.receiver = RecordingReceiver(script: script)
        try await self.receiver.start()
    }

    private func settings(allowPrivate: Bool = true, maxAttempts: Int = 6, timeout: Int = 5) -> AlertDeliverySettings {
        AlertDeliverySettings(
            webhookTimeoutSeconds: timeout, maxAttempts: maxAttempts, allowPrivateWebhooks: allowPrivate)
    }

    /// The receiver's side: HMAC-SHA256 of "<timestamp>.<raw body>" with the secret, compared in constant time.
    private func verify(_ request: RecordingReceiver.Request, secret: String) -> Bool {
        guard let timestamp = request.header("X-FinanceHub-Timestamp"),
            let signature = request.header("X-FinanceHub-Signature"), signature.hasPrefix("sha256="),
            let mac = Data(hex: String(signature.dropFirst(7)))
        else { return false }
        var signed = Data("\(timestamp).".utf8)
        signed.append(request.body)
        return HMAC<SHA256>.isValidAuthenticationCode(
            mac, authenticating: signed, using: SymmetricKey(data: Data(secret.utf8)))
    }

    func testAWebhookIsPostedAsSignedJSONWithItsDeliveryId() async throws {
        try await self.start()
        let deliverer = DeliveryFixtures.deliverer(self.settings(), clock: self.clock)
        let outcome = await deliverer.deliver(
            DeliveryFixtures.delivery(
                "d-1", channel: .webhook(url: self.receiver.url("/hook?src=fh"), secret: "s3cret")))
        XCTAssertEqual(outcome, .delivered)
        let request = try XCTUnwrap(self.receiver.requests.first)
        XCTAssertEqual(self.receiver.requests.count, 1)
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.path, "/hook")
        XCTAssertEqual(request.header("Content-Type"), "application/json")
        XCTAssertEqual(request.header("X-FinanceHub-Delivery"), "d-1")
        XCTAssertEqual(request.header("X-FinanceHub-Timestamp"), String(t0 / 1_000))
        XCTAssertEqual(String(decoding: request.body, as: UTF8.self), DeliveryFixtures.body)
        XCTAssertTrue(self.verify(request, secret: "s3cret"))
        XCTAssertFalse(self.verify(request, secret: "other"))
        // The documented form: lowercase hex of 32 bytes.
        XCTAssertEqual(
            request.header("X-FinanceHub-Signature"),
            WebhookSender.signature(secret: "s3cret", timestamp: t0 / 1_000, body: DeliveryFixtures.body))
        XCTAssertTrue(
            request.header("X-FinanceHub-Signature")!.dropFirst(7).allSatisfy { "0123456789abcdef".contains($0) })
        XCTAssertEqual(request.header("X-FinanceHub-Signature")!.count, 7 + 64)
    }

    func testLoopbackAndPrivateTargetsAreRefusedUnlessAllowed() async throws {
        try await self.start()
        let port = self.receiver.port
        // Through the system resolver (`localhost`, `127.1`), and through pinned answers: a name that resolves to a
        // public and a private address is refused too, since every address is checked.
        let system = DeliveryFixtures.deliverer(self.settings(allowPrivate: false), clock: self.clock)
        let pinned = DeliveryFixtures.deliverer(
            self.settings(allowPrivate: false), clock: self.clock,
            resolver: StaticHostResolver([
                "rebind.test": [IPAddress("93.184.216.34")!, IPAddress("127.0.0.1")!],
                "inside.test": [IPAddress("10.1.2.3")!], "mapped.test": [IPAddress("::ffff:192.168.0.1")!],
            ]))
        let cases: [(AlertDeliverer, String)] =
            [
                "http://127.0.0.1:\(port)/hook", "http://localhost:\(port)/hook", "http://[::1]:\(port)/hook",
                "http://[::ffff:127.0.0.1]:\(port)/hook", "http://0.0.0.0:\(port)/hook", "http://127.1:\(port)/hook",
            ].map { (system, $0) }
            + ["http://rebind.test:\(port)/hook", "http://inside.test/hook", "https://mapped.test/hook"].map {
                (pinned, $0)
            }
        for (deliverer, url) in cases {
            let outcome = await deliverer.deliver(
                DeliveryFixtures.delivery("d", channel: .webhook(url: url, secret: "s")))
            guard case .failed(let error) = outcome else {
                XCTFail("\(url): \(outcome)")
                continue
            }
            XCTAssertTrue(
                error.hasPrefix("refused: ") && error.contains("alerts.allowPrivateWebhooks"), "\(url): \(error)")
        }
        let deliverer = system
        XCTAssertEqual(self.receiver.requests.count, 0)
        for url in ["file:///etc/passwd", "ftp://127.0.0.1/x", "http+unix://%2Ftmp%2Fs/x", "not a url", "http:///x"] {
            let outcome = await deliverer.deliver(
                DeliveryFixtures.delivery("d", channel: .webhook(url: url, secret: "s")))
            guard case .failed(let error) = outcome else { return XCTFail("\(url): \(outcome)") }
            XCTAssertTrue(error.hasPrefix("invalid URL"), "\(url): \(error)")
        }
    }

    func testTheConnectionGoesToTheAddressThatWasCheckedNotToASecondLookup() async throws {
        try await self.start()
        // `hooks.example` resolves only through the guard's resolver; the system's DNS knows no such name. The
        // request arriving shows the client connected to the checked address while keeping the name as Host.
        let resolver = StaticHostResolver(["hooks.example": [IPAddress("127.0.0.1")!]])
        let deliverer = DeliveryFixtures.deliverer(self.settings(), clock: self.clock, resolver: resolver)
        let outcome = await deliverer.deliver(
            DeliveryFixtures.delivery(
                "d-2", channel: .webhook(url: "http://hooks.example:\(self.receiver.port)/in", secret: "s")))
        XCTAssertEqual(outcome, .delivered)
        XCTAssertEqual(self.receiver.requests.first?.authority, "hooks.example:\(self.receiver.port)")
    }

    func testAFailingReceiverIsRetriedWithDoublingBackoffThroughTheOutboxUntilItAnswers() async throws {
        try await self.start { index, _ in (index < 2 ? 503 : 200, nil, .zero) }
        let outbox = TestOutbox()
        let service = AlertDeliveryService(
            outbox: outbox, deliverer: DeliveryFixtures.deliverer(self.settings(), clock: self.clock),
            settings: self.settings(), clock: self.clock, logger: DeliveryFixtures.quietLogger)
        try await outbox.enqueue([
            DeliveryFixtures.delivery("d-3", channel: .webhook(url: self.receiver.url(), secret: "s"))
        ])

        let drained1 = await service.drainOnce()
        XCTAssertEqual(drained1, 1)
        var row = try XCTUnwrap(outbox.row("d-3"))
        XCTAssertEqual(row.status, .pending)
        XCTAssertEqual(row.attempts, 1)
        XCTAssertEqual(row.lastError, "HTTP 503")
        XCTAssertEqual(row.nextAttemptAt, t0 + 1_000)
        // Not due yet.
        let drained2 = await service.drainOnce()
        XCTAssertEqual(drained2, 0)

        self.clock.advance(by: 1_000)
        let drained3 = await service.drainOnce()
        XCTAssertEqual(drained3, 1)
        row = try XCTUnwrap(outbox.row("d-3"))
        XCTAssertEqual(row.attempts, 2)
        XCTAssertEqual(row.nextAttemptAt, t0 + 1_000 + 2_000)

        self.clock.advance(by: 2_000)
        let drained4 = await service.drainOnce()
        XCTAssertEqual(drained4, 1)
        row = try XCTUnwrap(outbox.row("d-3"))
        XCTAssertEqual(row.status, .delivered)
        XCTAssertEqual(row.attempts, 3)
        // Every attempt carried the same delivery id, so the receiver can drop repeats.
        XCTAssertEqual(self.receiver.requests.map { $0.header("X-FinanceHub-Delivery") }, ["d-3", "d-3", "d-3"])
    }

    func testClientErrorsFailForGoodAndServerErrorsGiveUpAfterTheLastAttempt() async throws {
        try await self.start { _, path in
            switch path {
            case "/gone": return (410, nil, .zero)
            case "/slow-down": return (429, nil, .zero)
            case "/timeout": return (408, nil, .zero)
            default: return (500, nil, .zero)
            }
        }
        let deliverer = DeliveryFixtures.deliverer(self.settings(maxAttempts: 3), clock: self.clock)
        func outcome(_ path: String, attempts: Int = 0) async -> DeliveryOutcome {
            await deliverer.deliver(
                DeliveryFixtures.delivery(
                    "d", channel: .webhook(url: self.receiver.url(path), secret: "s"), attempts: attempts))
        }
        let gone = await outcome("/gone")
        XCTAssertEqual(gone, .failed(error: "HTTP 410"))
        let slowDown = await outcome("/slow-down")
        XCTAssertEqual(slowDown, .retry(error: "HTTP 429", at: t0 + 1_000))
        let timeout = await outcome("/timeout", attempts: 1)
        XCTAssertEqual(timeout, .retry(error: "HTTP 408", at: t0 + 2_000))
        let second = await outcome("/broken", attempts: 1)
        XCTAssertEqual(second, .retry(error: "HTTP 500", at: t0 + 2_000))
        let last = await outcome("/broken", attempts: 2)
        XCTAssertEqual(last, .failed(error: "HTTP 500 (gave up after 3 attempts)"))
    }

    func testRedirectsAreNotFollowed() async throws {
        try await self.start { _, path in path == "/hook" ? (302, "/elsewhere", .zero) : (200, nil, .zero) }
        let deliverer = DeliveryFixtures.deliverer(self.settings(), clock: self.clock)
        let outcome = await deliverer.deliver(
            DeliveryFixtures.delivery("d", channel: .webhook(url: self.receiver.url("/hook"), secret: "s")))
        XCTAssertEqual(outcome, .failed(error: "HTTP 302: redirects are not followed"))
        XCTAssertEqual(self.receiver.requests.map(\.path), ["/hook"])
    }

    func testASlowReceiverTimesOutAndIsRetried() async throws {
        try await self.start { _, _ in (200, nil, .seconds(3)) }
        let deliverer = DeliveryFixtures.deliverer(self.settings(timeout: 1), clock: self.clock)
        let started = ContinuousClock.now
        let outcome = await deliverer.deliver(
            DeliveryFixtures.delivery("d", channel: .webhook(url: self.receiver.url(), secret: "s")))
        XCTAssertEqual(outcome, .retry(error: "timed out", at: t0 + 1_000))
        XCTAssertLessThan(ContinuousClock.now - started, .milliseconds(2_500))
    }

    func testTheAddressClassification() {
        let refused = [
            "127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
            "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.1", "::", "::1", "fe80::1",
            "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "64:ff9b::a00:1",
            "2002:c0a8:101::1", "2001:db8::1", "fec0::1",
        ]
        let allowed = ["93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "64:ff9b::808:808"]
        for text in refused { XCTAssertFalse(IPAddress(text)!.isPublicUnicast, text) }
        for text in allowed { XCTAssertTrue(IPAddress(text)!.isPublicUnicast, text) }
    }
}

extension Data {
    /// Bytes from lowercase or uppercase hex; nil for odd lengths or other characters.
    init?(hex: String) {
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
