import FinanceApp
import FinanceServer
import FinanceTestSupport
import Foundation
import HummingbirdTesting
import XCTest

/// A test case with a real SMTP server (aiosmtpd) in its folder, stopped after each test.
class SMTPServerTestCase: TemporaryFolderTestCase {
    private var server: SMTPTestServer?

    override func tearDown() {
        self.server?.stop()
        super.tearDown()
    }

    /// Starts this test's SMTP server (the test is skipped when aiosmtpd is not available).
    func startSMTP() throws -> SMTPTestServer {
        let smtp = try SMTPTestServer(folder: self.dir)
        self.server = smtp
        return smtp
    }
}

extension SMTPTestServer {
    /// `smtp.*` of a server that sends through this one (plain SMTP on loopback).
    var settings: SMTPSettings {
        SMTPSettings(host: "127.0.0.1", port: self.port, tls: .none, from: "alerts@financehub.test", timeoutSeconds: 10)
    }

    /// The confirmation code of the newest mail to `address` among the first `count` accepted (waiting for them).
    func confirmationCode(to address: String, count: Int) throws -> String {
        let mail = try XCTUnwrap(
            try self.messages(count: count, timeout: 10).last { $0.rcptTos == [address] }, "a code mail to \(address)")
        let text = ReceivedMail(mail.data).parts.first?.content ?? mail.data
        let marker = try XCTUnwrap(text.range(of: "confirmation code is "), text)
        return String(text[marker.upperBound...].prefix { $0.isNumber })
    }
}

/// Sends `code` for `address` as `token`'s user.
func confirmAddress(
    _ client: some TestClientProtocol, _ address: String, code: String, token: String
) async throws -> TestResponse {
    try await client.send(
        .post, "/api/alerts/channels/confirm", json: #"{"to":"\#(address)","code":"\#(code)"}"#, token: token)
}
