/// Mails notifications (a text part with the message, a JSON part with the notification) and the one-time codes
/// that confirm an email channel's address, through `smtp.*`.
public struct EmailSender: Sendable {
    public let client: SMTPClient

    public init(client: SMTPClient) { self.client = client }

    /// Mails `payload` to `to`.
    public func send(to: String, deliveryId: String, payload: DeliveryPayload, body: String, now: Int64) async
        -> DeliveryAttempt
    {
        let message = MailMessage(
            from: self.client.settings.from, to: [to], subject: payload.title,
            text: payload.text + "\n\n-- \nFinanceHub alerts", json: body, deliveryId: deliveryId, date: now)
        do throws(SMTPError) {
            try await self.client.send(message)
            return .delivered
        } catch {
            return .failed(error.description, permanent: error.isPermanent)
        }
    }

    /// Mails the one-time code that confirms `to` as an alert address.
    public func sendConfirmationCode(_ code: String, to: String, now: Int64) async throws(SMTPError) {
        let message = MailMessage(
            from: self.client.settings.from, to: [to], subject: "FinanceHub: confirm your alert address",
            text: """
                Your FinanceHub confirmation code is \(code).

                Enter it to receive alerts at this address. If you did not ask for it, ignore this email.
                """, date: now)
        try await self.client.send(message)
    }
}
