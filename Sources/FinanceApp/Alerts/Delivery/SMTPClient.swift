import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// An SMTP client over SwiftNIO: EHLO, STARTTLS or implicit TLS (or none), AUTH PLAIN or LOGIN when a username is
/// set, MAIL FROM, RCPT TO, DATA (dot-stuffed) and QUIT, one connection per message. Every reply is checked; the
/// whole conversation has `smtp.timeoutSeconds`.
public struct SMTPClient: Sendable {
    public let settings: SMTPSettings
    /// The TLS configuration (tests trust their own certificate here); the system's trust store by default.
    public let tlsConfiguration: TLSConfiguration
    public let eventLoopGroup: any EventLoopGroup
    public let logger: Logger

    public init(
        settings: SMTPSettings, tlsConfiguration: TLSConfiguration = .makeClientConfiguration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "financehub.smtp")
    ) {
        self.settings = settings
        self.tlsConfiguration = tlsConfiguration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Sends `message` to its recipients.
    public func send(_ message: MailMessage) async throws(SMTPError) {
        guard let host = self.settings.host, !host.isEmpty else { throw .notConfigured }
        for address in [message.from] + message.to {
            guard MailAddress.isValid(address) else { throw .invalidAddress("not a plain local@domain address") }
        }
        let deadline = NIODeadline.now() + .seconds(Int64(self.settings.timeoutSeconds))
        let tlsContext: NIOSSLContext?
        do {
            tlsContext = self.settings.tls == .none ? nil : try NIOSSLContext(configuration: self.tlsConfiguration)
        } catch {
            throw .transport(SMTPError.describe(error))
        }
        let session = try await self.connect(host: host, tlsContext: tlsContext, deadline: deadline)
        do throws(SMTPError) {
            try await self.converse(session, host: host, tlsContext: tlsContext, message: message)
            // A server that drops the connection before answering QUIT has taken the message all the same.
            _ = try? await session.command("QUIT", name: "QUIT", expect: 221)
            await session.close()
        } catch {
            await session.close()
            throw error
        }
    }

    private func converse(
        _ session: SMTPSession, host: String, tlsContext: NIOSSLContext?, message: MailMessage
    ) async throws(SMTPError) {
        try session.expect(try await session.reply(), 220, command: "greeting")
        var capabilities = try await self.hello(session)
        if self.settings.tls == .starttls {
            guard capabilities.contains(where: { $0.uppercased() == "STARTTLS" }) else {
                throw .startTLSUnavailable
            }
            _ = try await session.command("STARTTLS", name: "STARTTLS", expect: 220)
            guard let tlsContext else { throw .transport("no TLS context") }
            try await session.startTLS(context: tlsContext, serverHostname: Self.serverName(host))
            capabilities = try await self.hello(session)
        }
        if let username = self.settings.username, !username.isEmpty {
            try await self.authenticate(
                session, username: username, password: self.settings.password ?? "", capabilities: capabilities)
        }
        _ = try await session.command("MAIL FROM:<\(message.from)>", name: "MAIL FROM", expect: 250)
        for recipient in message.to {
            _ = try await session.command("RCPT TO:<\(recipient)>", name: "RCPT TO", expect: 250, 251)
        }
        _ = try await session.command("DATA", name: "DATA", expect: 354)
        try await session.write(MailMessage.dotStuffed(message.rendered()) + ".\r\n")
        try session.expect(try await session.reply(), 250, command: "DATA (message)")
    }

    /// EHLO; the capabilities are the reply's lines after the first.
    private func hello(_ session: SMTPSession) async throws(SMTPError) -> [String] {
        let reply = try await session.command("EHLO \(self.settings.helloName)", name: "EHLO", expect: 250)
        return Array(reply.lines.dropFirst())
    }

    private func authenticate(
        _ session: SMTPSession, username: String, password: String, capabilities: [String]
    ) async throws(SMTPError) {
        let mechanisms = capabilities.filter { $0.uppercased().hasPrefix("AUTH") }
            .flatMap { $0.uppercased().split(whereSeparator: { $0 == " " || $0 == "=" }).dropFirst() }
        if mechanisms.contains("PLAIN") {
            let token = Data(([0] + Array(username.utf8) + [0] + Array(password.utf8))).base64EncodedString()
            _ = try await session.command("AUTH PLAIN \(token)", name: "AUTH PLAIN", expect: 235)
        } else if mechanisms.contains("LOGIN") {
            _ = try await session.command("AUTH LOGIN", name: "AUTH LOGIN", expect: 334)
            _ = try await session.command(
                Data(username.utf8).base64EncodedString(), name: "AUTH LOGIN (username)", expect: 334)
            _ = try await session.command(
                Data(password.utf8).base64EncodedString(), name: "AUTH LOGIN (password)", expect: 235)
        } else {
            throw .noAuthMechanism
        }
    }

    private func connect(host: String, tlsContext: NIOSSLContext?, deadline: NIODeadline) async throws(SMTPError)
        -> SMTPSession
    {
        let implicitTLS = self.settings.tls == .implicit ? tlsContext : nil
        let serverName = Self.serverName(host)
        let bootstrap = ClientBootstrap(group: self.eventLoopGroup)
            .connectTimeout(deadline - .now())
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let implicitTLS {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: implicitTLS, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHandler(SMTPReplyHandler())
                }
            }
        do {
            let channel = try await bootstrap.connect(host: host, port: self.settings.port).get()
            let handler = try await channel.eventLoop.submit {
                NIOLoopBound(
                    try channel.pipeline.syncOperations.handler(type: SMTPReplyHandler.self),
                    eventLoop: channel.eventLoop)
            }.get()
            return SMTPSession(channel: channel, handler: handler, deadline: deadline)
        } catch {
            throw .transport("connect to \(host):\(self.settings.port): \(SMTPError.describe(error))")
        }
    }

    /// The TLS server name: the host, unless it is an address literal (SNI carries names only).
    private static func serverName(_ host: String) -> String? { IPAddress(host) == nil ? host : nil }
}

/// One connection's conversation: write a line, read the reply, both before the conversation's deadline.
struct SMTPSession: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<SMTPReplyHandler>
    let deadline: NIODeadline

    /// Sends `line` and checks the reply's code. `name` (never the line: it may carry credentials) names the
    /// command in errors.
    @discardableResult
    func command(_ line: String, name: String, expect codes: Int...) async throws(SMTPError) -> SMTPReply {
        try await self.write(line + "\r\n")
        let reply = try await self.reply()
        guard codes.contains(reply.code) else { throw .reply(command: name, code: reply.code, text: reply.text) }
        return reply
    }

    func expect(_ reply: SMTPReply, _ code: Int, command: String) throws(SMTPError) {
        guard reply.code == code else { throw .reply(command: command, code: reply.code, text: reply.text) }
    }

    func write(_ text: String) async throws(SMTPError) {
        do {
            try await self.channel.writeAndFlush(ByteBuffer(string: text))
        } catch {
            // The reason the connection failed (a TLS handshake error) says more than the write's own error.
            let handler = self.handler
            let recorded = try? await self.channel.eventLoop.submit { handler.value.recordedFailure }.get()
            throw recorded ?? .transport(SMTPError.describe(error))
        }
    }

    /// The next reply.
    func reply() async throws(SMTPError) -> SMTPReply {
        let handler = self.handler
        let timeout = self.deadline - .now()
        guard timeout > .zero else { throw .timedOut }
        do {
            return try await self.channel.eventLoop.flatSubmit {
                handler.value.next(timeout: timeout, eventLoop: handler.eventLoop)
            }.get()
        } catch let error as SMTPError {
            throw error
        } catch {
            throw .transport(SMTPError.describe(error))
        }
    }

    /// Puts TLS under the conversation (after the server's 220 to STARTTLS). Bytes the server sent after that reply
    /// (which a man in the middle could have injected) refuse the upgrade.
    func startTLS(context: NIOSSLContext, serverHostname: String?) async throws(SMTPError) {
        let handler = self.handler
        let channel = self.channel
        do {
            try await channel.eventLoop.submit {
                guard !handler.value.hasUnreadInput else {
                    throw SMTPError.protocolViolation("data after the STARTTLS reply")
                }
                try channel.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: context, serverHostname: serverHostname), position: .first)
            }.get()
        } catch let error as SMTPError {
            throw error
        } catch {
            throw .transport(SMTPError.describe(error))
        }
    }

    func close() async {
        try? await self.channel.close()
    }
}
