import Crypto
import FinanceCore
import FinanceStorage
import Foundation
import Logging
import Synchronization

/// Confirms the addresses of email channels: the first use of an address by a user mails it a one-time code (8
/// random digits; only their SHA-256 is stored, valid `codeMilliseconds`), and `confirm` takes the code back. At
/// most one code mail goes to an address per `resendMilliseconds` on this instance, so saving alerts cannot be used
/// to flood someone's inbox; `maxAttempts` wrong codes use a code up.
public final class EmailConfirmations: Sendable {
    public let repository: any EmailConfirmationRepository
    /// Nil when `smtp.host` is not set: email channels cannot be used at all.
    public let sender: EmailSender?
    public let clock: any WallClock
    public let codeMilliseconds: Int64
    public let resendMilliseconds: Int64
    public let maxAttempts: Int
    let logger: Logger
    /// When a code mail last went to each address (lower case), this instance.
    private let lastSent = Mutex<[String: Int64]>([:])
    /// The addresses remembered at most (older entries are dropped first when full).
    static let maxRemembered = 100_000

    public init(
        repository: any EmailConfirmationRepository, sender: EmailSender?, clock: any WallClock,
        codeMilliseconds: Int64 = 86_400_000, resendMilliseconds: Int64 = 300_000, maxAttempts: Int = 5,
        logger: Logger = Logger(label: "financehub.alerts.email")
    ) {
        self.repository = repository
        self.sender = sender
        self.clock = clock
        self.codeMilliseconds = codeMilliseconds
        self.resendMilliseconds = resendMilliseconds
        self.maxAttempts = maxAttempts
        self.logger = logger
    }

    /// The confirmations of `settings.smtp` (no sender when `smtp.host` is not set).
    public convenience init(
        repository: any EmailConfirmationRepository, settings: AlertDeliverySettings, clock: any WallClock,
        logger: Logger = Logger(label: "financehub.alerts.email")
    ) {
        let sender =
            settings.smtp.host == nil ? nil : EmailSender(client: SMTPClient(settings: settings.smtp, logger: logger))
        self.init(repository: repository, sender: sender, clock: clock, logger: logger)
    }

    /// Whether email channels can be used (`smtp.host` is set).
    public var isConfigured: Bool { self.sender != nil }

    /// True when `owner` confirmed `address`.
    public func isConfirmed(owner: String, address: String) async throws -> Bool {
        try await self.repository.isEmailConfirmed(owner: owner, address: address)
    }

    /// Mails a new code to `address` for `owner` unless the address is confirmed or a code went to it within
    /// `resendMilliseconds`; returns whether the address is confirmed. The mail is sent in the background (a slow
    /// mail server does not hold the request); its failure is logged and lets the next save try again.
    @discardableResult
    public func request(owner: String, address: String) async throws -> Bool {
        if try await self.isConfirmed(owner: owner, address: address) { return true }
        guard let sender = self.sender else { return false }
        let now = self.clock.nowMilliseconds()
        guard self.reserve(address, now: now) else { return false }
        let code = Self.newCode()
        do {
            try await self.repository.storeEmailCode(
                owner: owner, address: address, codeHash: Self.hash(code), expiresAt: now + self.codeMilliseconds,
                now: now)
        } catch {
            self.release(address, sentAt: now)
            throw error
        }
        Task {
            do throws(SMTPError) {
                try await sender.sendConfirmationCode(code, to: address, now: now)
            } catch {
                self.release(address, sentAt: now)
                // The address is the user's own input; the code is never logged.
                self.logger.warning(
                    "an alert address confirmation could not be mailed",
                    metadata: ["owner": "\(owner)", "error": "\(error)"])
            }
        }
        return false
    }

    /// Confirms `address` for `owner` with `code`: true when it is the current code, unexpired and not used up by
    /// `maxAttempts` wrong ones (a wrong code counts as one).
    public func confirm(owner: String, address: String, code: String) async throws -> Bool {
        try await self.repository.confirmEmail(
            owner: owner, address: address, codeHash: Self.hash(code), now: self.clock.nowMilliseconds(),
            maxAttempts: self.maxAttempts)
    }

    /// 8 random digits.
    static func newCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let n = UInt32.random(in: 0..<100_000_000, using: &generator)
        let digits = String(n)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// The lowercase hex SHA-256 of a code (what the store keeps), spaces around it ignored.
    public static func hash(_ code: String) -> String {
        let text = code.trimmingCharacters(in: .whitespaces)
        return SHA256.hash(data: Array(text.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Takes the address's send slot at `now`; false when a code went to it less than `resendMilliseconds` ago.
    private func reserve(_ address: String, now: Int64) -> Bool {
        let key = address.lowercased()
        return self.lastSent.withLock { sent in
            if let last = sent[key], now - last < self.resendMilliseconds, now >= last { return false }
            if sent.count >= Self.maxRemembered {
                sent = sent.filter { now - $0.value < self.resendMilliseconds }
                if sent.count >= Self.maxRemembered { sent.removeAll() }
            }
            sent[key] = now
            return true
        }
    }

    /// Gives the slot taken at `sentAt` back (the mail was not sent).
    private func release(_ address: String, sentAt: Int64) {
        let key = address.lowercased()
        self.lastSent.withLock { sent in
            if sent[key] == sentAt { sent[key] = nil }
        }
    }
}
