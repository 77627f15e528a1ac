import FinanceApp
import FinanceCore
import FinanceStorage
import FinanceTestSupport
import Foundation
import NIOSSL
import XCTest

/// Alert email through a real SMTP server (aiosmtpd): plain, STARTTLS and implicit TLS, AUTH PLAIN and LOGIN,
/// dot-stuffing, the multipart body, reply codes and the confirmation code.
final class EmailDeliveryTests: TemporaryFolderTestCase {
    private var server: SMTPTestServer?
    private let clock = TestClock(t0)

    override func tearDown() {
        self.server?.stop()
        super.tearDown()
    }

    private func start(_ arguments: [String] = []) throws -> SMTPTestServer {
        let server = try SMTPTestServer(folder: self.dir, arguments: arguments)
        self.server = server
        return server
    }

    private func client(
        port: Int, tls: SMTPTLSMode = .none, username: String? = nil, password: String? = nil,
        trust certificate: String? = nil, timeout: Int = 10
    ) throws -> SMTPClient {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let certificate { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificate)) }
        return SMTPClient(
            settings: SMTPSettings(
                host: "127.0.0.1", port: port, tls: tls, username: username, password: password,
                from: "alerts@financehub.test", timeoutSeconds: timeout),
            tlsConfiguration: configuration, logger: DeliveryFixtures.quietLogger)
    }

    private func deliver(_ client: SMTPClient, to: String = "alice@example.com", body: String = DeliveryFixtures.body)
        async -> DeliveryOutcome
    {
        await DeliveryFixtures.deliverer(AlertDeliverySettings(maxAttempts: 3), clock: self.clock, smtp: client)
            .deliver(DeliveryFixtures.delivery("mail-1", channel: .email(to: to), body: body))
    }

    func testAnAlertArrivesAsMultipartTextAndJSON() async throws {
        let server = try self.start()
        let outcome = await self.deliver(try self.client(port: server.port))
        XCTAssertEqual(outcome, .delivered)
        let received = try XCTUnwrap(try server.messages().first)
        XCTAssertEqual(received.mailFrom, "alerts@financehub.test")
        XCTAssertEqual(received.rcptTos, ["alice@example.com"])
        let mail = ReceivedMail(received.data)
        XCTAssertEqual(mail.headers["from"], "<alerts@financehub.test>")
        XCTAssertEqual(mail.headers["to"], "<alice@example.com>")
        XCTAssertEqual(mail.headers["subject"], "FinanceHub alert: BTC breakout")
        XCTAssertEqual(mail.headers["x-financehub-delivery"], "mail-1")
        XCTAssertEqual(mail.headers["mime-version"], "1.0")
        XCTAssertEqual(mail.headers["date"], "Mon, 01 Jan 2024 00:00:00 +0000")
        XCTAssertTrue(mail.headers["content-type"]?.hasPrefix("multipart/alternative;") == true)
        XCTAssertEqual(mail.parts.count, 2)
        XCTAssertEqual(mail.parts[0].headers["content-type"], "text/plain; charset=utf-8")
        XCTAssertEqual(mail.parts[0].content, "BTC crossed 50000\r\n\r\n-- \r\nFinanceHub alerts")
        XCTAssertEqual(mail.parts[1].headers["content-type"], "application/json; charset=utf-8")
        XCTAssertEqual(mail.parts[1].content, DeliveryFixtures.body)
        XCTAssertEqual(DeliveryPayload(json: mail.parts[1].content), .alert(DeliveryFixtures.notification))
    }

    func testLinesStartingWithADotSurviveDotStuffingAndUnicodeIsEncoded() async throws {
        let server = try self.start()
        var notification = DeliveryFixtures.notification
        notification.message = ".\n.hidden line\n..two dots\nend"
        let outcome = await self.deliver(
            try self.client(port: server.port), body: try DeliveryPayload.alert(notification).json)
        XCTAssertEqual(outcome, .delivered)
        let mail = ReceivedMail(try XCTUnwrap(try server.messages().first).data)
        XCTAssertEqual(mail.parts[0].content, ".\r\n.hidden line\r\n..two dots\r\nend\r\n\r\n-- \r\nFinanceHub alerts")

        notification.message = "Kurs über 50 000 € 📈"
        notification.name = "Ärger"
        let unicode = await self.deliver(
            try self.client(port: server.port), body: try DeliveryPayload.alert(notification).json)
        XCTAssertEqual(unicode, .delivered)
        let second = ReceivedMail(try XCTUnwrap(try server.messages(count: 2).last).data)
        XCTAssertEqual(second.parts[0].headers["content-transfer-encoding"], "base64")
        XCTAssertTrue(second.parts[0].content.hasPrefix("Kurs über 50 000 € 📈"))
        XCTAssertTrue(second.headers["subject"]?.hasPrefix("=?UTF-8?B?") == true)
    }

    func testSTARTTLSWithAuthPlain() async throws {
        let tls = try SMTPTestServer.certificate(in: self.dir)
        let server = try self.start(["--starttls", tls.cert, tls.key, "--auth", "mailer:pa55word"])
        let outcome = await self.deliver(
            try self.client(
                port: server.port, tls: .starttls, username: "mailer", password: "pa55word", trust: tls.cert))
        XCTAssertEqual(outcome, .delivered)
        let received = try XCTUnwrap(try server.messages().first)
        XCTAssertTrue(received.tls)
        XCTAssertEqual(received.authUser, "mailer")
    }

    func testImplicitTLSWithAuthLogin() async throws {
        let tls = try SMTPTestServer.certificate(in: self.dir)
        let server = try self.start([
            "--implicit-tls", tls.cert, tls.key, "--auth", "mailer:pa55word", "--auth-mechanisms", "LOGIN",
        ])
        let outcome = await self.deliver(
            try self.client(
                port: server.port, tls: .implicit, username: "mailer", password: "pa55word", trust: tls.cert))
        XCTAssertEqual(outcome, .delivered)
        let received = try XCTUnwrap(try server.messages().first)
        XCTAssertTrue(received.tls)
        XCTAssertEqual(received.authUser, "mailer")
    }

    func testAnUntrustedCertificateIsRefused() async throws {
        let tls = try SMTPTestServer.certificate(in: self.dir)
        let server = try self.start(["--starttls", tls.cert, tls.key])
        let outcome = await self.deliver(try self.client(port: server.port, tls: .starttls))
        guard case .retry(let error, _) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertTrue(error.contains("TLS"), error)
        XCTAssertEqual(try server.messages(count: 1, timeout: 0.2).count, 0)
    }

    func testReplyCodesBecomeClearErrorsAndTheRightOutcome() async throws {
        let server = try self.start([
            "--auth", "mailer:pa55word", "--reject-rcpt", "gone@example.com=550", "--reject-rcpt",
            "later@example.com=451",
        ])
        // A wrong password: 535, for good, and the password is in no error.
        let wrong = await self.deliver(
            try self.client(port: server.port, username: "mailer", password: "not-the-password"))
        guard case .failed(let authError) = wrong else { return XCTFail("\(wrong)") }
        XCTAssertTrue(authError.hasPrefix("SMTP AUTH PLAIN: 535"), authError)
        XCTAssertFalse(authError.contains("not-the-password"))

        let client = try self.client(port: server.port, username: "mailer", password: "pa55word")
        let gone = await self.deliver(client, to: "gone@example.com")
        XCTAssertEqual(gone, .failed(error: "SMTP RCPT TO: 550 recipient refused by the test server"))
        let later = await self.deliver(client, to: "later@example.com")
        XCTAssertEqual(later, .retry(error: "SMTP RCPT TO: 451 recipient refused by the test server", at: t0 + 1_000))
        // An address that could smuggle a command is never sent.
        let injected = await self.deliver(client, to: "a@example.com>\r\nRCPT TO:<b@example.com")
        XCTAssertEqual(injected, .failed(error: "invalid address: not a plain local@domain address"))
        XCTAssertEqual(try server.messages(count: 1, timeout: 0.2).count, 0)
    }

    func testAServerWithoutSTARTTLSAndAnAbsentServerAreClearErrors() async throws {
        let server = try self.start()
        let noTLS = await self.deliver(try self.client(port: server.port, tls: .starttls))
        XCTAssertEqual(noTLS, .failed(error: "the SMTP server does not offer STARTTLS (smtp.tls is starttls)"))
        server.stop()
        self.server = nil
        let absent = await self.deliver(try self.client(port: server.port))
        guard case .retry(let error, _) = absent else { return XCTFail("\(absent)") }
        XCTAssertTrue(error.hasPrefix("SMTP connection failed: connect to 127.0.0.1:\(server.port)"), error)
        let unconfigured = await self.deliver(SMTPClient(settings: SMTPSettings()))
        XCTAssertEqual(unconfigured, .failed(error: "email is not configured (smtp.host)"))
    }

    func testTheConfirmationCodeEmail() async throws {
        let server = try self.start()
        try await EmailSender(client: try self.client(port: server.port))
            .sendConfirmationCode("482913", to: "bob@example.com", now: t0)
        let received = try XCTUnwrap(try server.messages().first)
        XCTAssertEqual(received.rcptTos, ["bob@example.com"])
        let mail = ReceivedMail(received.data)
        XCTAssertEqual(mail.headers["subject"], "FinanceHub: confirm your alert address")
        XCTAssertEqual(mail.parts.count, 1)
        XCTAssertTrue(mail.parts[0].content.hasPrefix("Your FinanceHub confirmation code is 482913."))
    }
}
