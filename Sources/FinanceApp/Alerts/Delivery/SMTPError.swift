import NIOCore
import NIOPosix
import NIOSSL

/// Why an SMTP conversation failed. Texts never hold the password or the AUTH exchange.
public enum SMTPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `smtp.host` is not set.
    case notConfigured
    /// A recipient or sender that is no plain `local@domain` address.
    case invalidAddress(String)
    /// The server answered `command` with an unexpected reply: 4xx is transient, 5xx permanent.
    case reply(command: String, code: Int, text: String)
    /// `smtp.tls` is `starttls` but the server does not offer it.
    case startTLSUnavailable
    /// `smtp.username` is set but the server offers neither AUTH PLAIN nor AUTH LOGIN.
    case noAuthMechanism
    case protocolViolation(String)
    case timedOut
    case connectionClosed
    case transport(String)

    /// True when trying again cannot help (a 5xx reply, a bad address, a configuration problem).
    public var isPermanent: Bool {
        switch self {
        case .notConfigured, .invalidAddress, .startTLSUnavailable, .noAuthMechanism: return true
        case .reply(_, let code, _): return code >= 500
        case .protocolViolation, .timedOut, .connectionClosed, .transport: return false
        }
    }

    public var description: String {
        switch self {
        case .notConfigured: return "email is not configured (smtp.host)"
        case .invalidAddress(let why): return "invalid address: \(why)"
        case .reply(let command, let code, let text): return "SMTP \(command): \(code) \(text)"
        case .startTLSUnavailable: return "the SMTP server does not offer STARTTLS (smtp.tls is starttls)"
        case .noAuthMechanism: return "the SMTP server offers neither AUTH PLAIN nor AUTH LOGIN"
        case .protocolViolation(let why): return "SMTP protocol error: \(why)"
        case .timedOut: return "SMTP timed out"
        case .connectionClosed: return "the SMTP server closed the connection"
        case .transport(let why): return "SMTP connection failed: \(why)"
        }
    }

    /// A short text of a transport or TLS error.
    static func describe(_ error: any Error) -> String {
        if let error = error as? SMTPError { return error.description }
        if let error = error as? NIOSSLError { return "TLS: \(error)" }
        if let error = error as? BoringSSLError { return "TLS: \(error)" }
        if let error = error as? IOError { return error.description }
        if let error = error as? NIOConnectionError {
            let causes = error.connectionErrors.map { "\($0.error)" }
            return causes.isEmpty ? "could not connect" : causes.joined(separator: "; ")
        }
        return "\(error)"
    }
}
