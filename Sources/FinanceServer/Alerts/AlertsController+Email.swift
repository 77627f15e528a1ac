import FinanceApp
import FinanceCore
import Hummingbird

extension AlertsController {
    /// A 422 at `<prefix>/channels/<i>` for each email channel when no mail server is configured (`smtp.host`).
    func checkEmailChannels(_ channels: [AlertChannel], at prefix: [String]) throws {
        if self.emails?.isConfigured == true { return }
        let issues = channels.enumerated().compactMap { i, channel -> ValidationIssue? in
            guard case .email = channel else { return nil }
            return ValidationIssue(
                path: prefix + ["channels", String(i)],
                detail: "email channels need a mail server, and smtp.host is not set on this server")
        }
        if !issues.isEmpty { throw ValidationError(issues) }
    }

    /// Mails a one-time code to each email address of `alert` its owner has not confirmed (at most one code mail
    /// per address per few minutes); returns the addresses that are confirmed. The alert is stored by then: a store
    /// that fails here leaves the address unconfirmed (the next save asks again) rather than failing the request.
    func requestConfirmations(_ alert: Alert) async -> Set<String> {
        guard let emails = self.emails else { return [] }
        var confirmed: Set<String> = []
        for address in Self.emailAddresses(alert.channels) {
            if (try? await emails.request(owner: alert.owner, address: address)) == true { confirmed.insert(address) }
        }
        return confirmed
    }

    /// The email addresses of `alerts` (all of one owner) that the owner confirmed.
    func confirmedAddresses(_ alerts: some Sequence<Alert>) async throws -> Set<String> {
        guard let emails = self.emails else { return [] }
        var confirmed: Set<String> = []
        var seen: Set<String> = []
        for alert in alerts {
            for address in Self.emailAddresses(alert.channels)
            where seen.insert(alert.owner + "\u{0}" + address).inserted {
                if try await emails.isConfirmed(owner: alert.owner, address: address) { confirmed.insert(address) }
            }
        }
        return confirmed
    }

    static func emailAddresses(_ channels: [AlertChannel]) -> [String] {
        var out: [String] = []
        for case .email(let to) in channels where !out.contains(to) { out.append(to) }
        return out
    }

    /// `POST /api/alerts/channels/confirm {"to", "code"}`: confirms one of the caller's email addresses with the code
    /// mailed to it; 200 `{"to", "confirmed": true}`. A wrong or expired code, or one used up by
    /// `EmailConfirmations.maxAttempts` wrong tries, is a 422 at `/code`.
    @Sendable func confirmEmail(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let value = try await JSONInput.parse(request, limit: Self.maxBodyBytes)
        var r = NestedReader()
        guard let o = r.object(value, at: []) else { throw ValidationError(r.issues) }
        r.rejectUnknown(o, known: ["to", "code"], at: [])
        var address: String?
        if let raw = r.string(o, "to", at: [], required: true) {
            address = AlertBody.emailAddress(raw)
            if address == nil { r.fail(["to"], "'\(Echo.text(raw))' is not an email address (name@example.com)") }
        }
        let code = r.text(o, "code", at: [], required: true, maxLength: 64)
        guard r.issues.isEmpty, let address, let code else { throw ValidationError(r.issues) }
        guard let emails = self.emails,
            try await emails.confirm(owner: principal.user, address: address, code: code)
        else {
            throw ValidationError([
                ValidationIssue(
                    path: ["code"],
                    detail:
                        "the code is wrong, has expired, or was used up by \(self.emails?.maxAttempts ?? 5) wrong "
                        + "tries; saving the alert again mails a new one (at most one every few minutes)")
            ])
        }
        return try HTTP.json(EmailConfirmedDTO(to: address, confirmed: true))
    }
}

/// `POST /api/alerts/channels/confirm`: the address now confirmed.
public struct EmailConfirmedDTO: Codable, Sendable, Equatable {
    public var to: String
    public var confirmed: Bool
}
