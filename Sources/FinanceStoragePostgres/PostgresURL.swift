import FinanceStorage

/// A parsed `postgres://user:password@host:port/database?sslmode=...&schema=...` URL.
///
/// - The scheme is `postgres` or `postgresql`; the user name, password and database are percent-decoded.
/// - The port defaults to 5432; a host that decodes to an absolute path (`%2Fvar%2Frun%2Fpostgresql`) is a
///   Unix-domain socket directory, as with libpq.
/// - Query options: `sslmode` (`disable`, `allow`, `prefer` (default), `require`, `verify-ca`, `verify-full`, with
///   libpq's meaning: only the `verify-*` modes check the server certificate), `schema` (the schema the store's
///   tables live in, set as the connection's `search_path`; created by `migrate()`), `connect_timeout` (seconds) and
///   `application_name`. Other options are rejected.
///
/// Errors are `StorageError.invalidConfiguration` and never quote the URL or the password.
public struct PostgresURL: Sendable, Equatable {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    /// A host name or address, or a Unix-domain socket directory when it starts with `/`.
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// The schema holding the store's tables (the connection's `search_path`), or nil for the server default.
    public var schema: String?
    public var connectTimeoutSeconds: Int?
    public var applicationName: String?

    public init(
        host: String, port: Int = 5432, username: String, password: String?, database: String,
        sslMode: SSLMode = .prefer, schema: String? = nil, connectTimeoutSeconds: Int? = nil,
        applicationName: String? = nil
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.schema = schema
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.applicationName = applicationName
    }

    /// True when `host` names a Unix-domain socket directory.
    public var isUnixSocket: Bool { self.host.hasPrefix("/") }

    /// The URL without the password, safe to print: `postgres://user@host:5432/db`.
    public var displayName: String {
        let host = self.host.contains(":") && !self.isUnixSocket ? "[\(self.host)]" : self.host
        let hostPart = self.isUnixSocket ? Self.percentEncode(host) : host
        var s =
            "postgres://\(Self.percentEncode(self.username))@\(hostPart):\(self.port)/\(Self.percentEncode(self.database))"
        if let schema = self.schema { s += "?schema=\(Self.percentEncode(schema))" }
        return s
    }

    public init(parsing text: String) throws {
        func bad(_ message: String) -> StorageError {
            .invalidConfiguration(
                "invalid PostgreSQL URL: \(message) (expected postgres://user:password@host:port/database)")
        }
        var rest = Substring(text).drop(while: \.isWhitespace)
        while rest.last?.isWhitespace == true { rest = rest.dropLast() }
        let lower = rest.lowercased()
        if lower.hasPrefix("postgres://") {
            rest = rest.dropFirst("postgres://".count)
        } else if lower.hasPrefix("postgresql://") {
            rest = rest.dropFirst("postgresql://".count)
        } else {
            throw bad("the scheme must be postgres:// or postgresql://")
        }
        if rest.contains("#") { throw bad("fragments (#) are not allowed; percent-encode '#' as %23") }

        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var path: Substring = ""
        // The authority ends at the first '/' after the last '@' (a raw '/' in a password is tolerated).
        let authorityStart = rest.lastIndex(of: "@").map { rest.index(after: $0) } ?? rest.startIndex
        if let slash = rest[authorityStart...].firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }

        var userInfo: Substring?
        var hostPort = rest
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            hostPort = rest[rest.index(after: at)...]
        }

        var username = ""
        var password: String?
        if let userInfo {
            if let colon = userInfo.firstIndex(of: ":") {
                guard let u = Self.percentDecode(userInfo[..<colon]) else {
                    throw bad("the user name has an invalid percent-escape")
                }
                guard let p = Self.percentDecode(userInfo[userInfo.index(after: colon)...]) else {
                    throw bad("the password has an invalid percent-escape")
                }
                username = u
                password = p
            } else {
                guard let u = Self.percentDecode(userInfo) else {
                    throw bad("the user name has an invalid percent-escape")
                }
                username = u
            }
        }
        guard !username.isEmpty else { throw bad("the user name is missing") }

        var hostText: Substring
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw bad("unterminated IPv6 address") }
            hostText = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw bad("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.firstIndex(of: ":") {
            hostText = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            hostText = hostPort
        }
        guard let host = Self.percentDecode(hostText), !host.isEmpty else { throw bad("the host is missing") }
        if hostPort.contains(",") { throw bad("multiple hosts are not supported") }

        var port = 5432
        if let portText {
            guard !portText.isEmpty, portText.allSatisfy(\.isASCIIDigit), let p = Int(portText), (1...65535).contains(p)
            else { throw bad("the port must be a number from 1 to 65535") }
            port = p
        }

        guard let database = Self.percentDecode(path), !database.isEmpty else {
            throw bad("the database name is missing")
        }
        guard !database.contains("/") else { throw bad("the database name must not contain '/'") }

        var sslMode = SSLMode.prefer
        var schema: String?
        var connectTimeout: Int?
        var applicationName: String?
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = Self.percentDecode(parts[0]) else {
                throw bad("an option name has an invalid percent-escape")
            }
            guard parts.count == 2, let value = Self.percentDecode(parts[1]) else {
                throw bad("option '\(key)' needs a value")
            }
            switch key {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw bad("sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "schema":
                guard !value.isEmpty, value.utf8.count <= 63 else { throw bad("schema must be 1 to 63 bytes") }
                schema = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0 else {
                    throw bad("connect_timeout must be a positive number of seconds")
                }
                connectTimeout = seconds
            case "application_name":
                applicationName = value
            default:
                throw bad("unsupported option '\(key)' (supported: sslmode, schema, connect_timeout, application_name)")
            }
        }

        self.init(
            host: host, port: port, username: username, password: password, database: database, sslMode: sslMode,
            schema: schema, connectTimeoutSeconds: connectTimeout, applicationName: applicationName)
    }

    static func percentDecode(_ s: Substring) -> String? {
        guard s.contains("%") else { return String(s) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = s.utf8.makeIterator()
        while let b = it.next() {
            if b == UInt8(ascii: "%") {
                guard let h = it.next(), let l = it.next(), let hv = hexValue(h), let lv = hexValue(l) else {
                    return nil
                }
                bytes.append(hv << 4 | lv)
            } else {
                bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    static func percentEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%"
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b & 15)]))
            }
        }
        return out
    }
}

extension PostgresURL: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String { self.displayName }
    /// Never shows the password, even in `dump` or `String(reflecting:)`.
    public var debugDescription: String { "PostgresURL(\(self.displayName))" }
}

extension PostgresURL: CustomReflectable {
    /// Keeps the password out of `dump` and debugger views.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "host": self.host, "port": self.port, "username": self.username,
                "password": self.password == nil ? "nil" : "<redacted>", "database": self.database,
                "sslMode": self.sslMode, "schema": self.schema as Any,
            ])
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { self >= "0" && self <= "9" && self.isASCII }
}
