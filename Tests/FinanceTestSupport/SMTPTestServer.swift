import Foundation
import XCTest

/// A real SMTP server (aiosmtpd, scripts/test_smtp_server.py) in a subprocess on a free loopback port, saving what
/// it accepts to a folder. Its Python comes from `FINANCEHUB_TEST_AIOSMTPD` (set by .ci/run), else
/// /tmp/aiosmtpd-venv/bin/python; without either the test is skipped. Sendable: every stored property is a
/// constant set in `init`, and the subprocess and its pipe are only closed by `stop()`, once.
public final class SMTPTestServer: @unchecked Sendable {
    /// One accepted message.
    public struct Received: Decodable {
        public var mailFrom: String
        public var rcptTos: [String]
        public var data: String
        public var authUser: String?
        public var tls: Bool
    }

    public let folder: URL
    public let port: Int
    private let process: Process
    private let input: Pipe

    public static var python: String? {
        let configured = ProcessInfo.processInfo.environment["FINANCEHUB_TEST_AIOSMTPD"] ?? ""
        for candidate in [configured, "/tmp/aiosmtpd-venv/bin/python"] where !candidate.isEmpty {
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/test_smtp_server.py")

    /// Starts the server with `arguments` (see the script: `--auth`, `--starttls`, `--implicit-tls`...).
    public init(folder: URL, arguments: [String] = []) throws {
        guard let python = Self.python else {
            throw XCTSkip(
                "no aiosmtpd: set FINANCEHUB_TEST_AIOSMTPD to a python with aiosmtpd (python3 -m venv "
                    + "/tmp/aiosmtpd-venv && /tmp/aiosmtpd-venv/bin/pip install aiosmtpd; .ci/run does this)")
        }
        self.folder = folder.appendingPathComponent("mail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.script.path, "--dir", self.folder.path] + arguments
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        self.input = input
        // The first line is `READY <port>`.
        var line = Data()
        let handle = output.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("READY "), let port = Int(text.dropFirst(6)) else {
            process.terminate()
            throw XCTSkip("the SMTP test server did not start (\(text))")
        }
        self.port = port
    }

    /// Stops the server (it exits when its stdin closes; killed if it does not).
    public func stop() {
        try? self.input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(3)
        while self.process.isRunning && Date() < deadline { usleep(20_000) }
        if self.process.isRunning { self.process.terminate() }
        self.process.waitUntilExit()
    }

    /// The messages accepted so far, in order, waiting up to `timeout` for `count` of them.
    public func messages(count: Int = 1, timeout: TimeInterval = 5) throws -> [Received] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: self.folder.path)) ?? []
            let files = names.filter { $0.hasSuffix(".json") }.sorted { Int($0.dropLast(5))! < Int($1.dropLast(5))! }
            if files.count >= count || Date() > deadline {
                return try files.map { name in
                    try JSONDecoder().decode(
                        Received.self, from: Data(contentsOf: self.folder.appendingPathComponent(name)))
                }
            }
            usleep(20_000)
        }
    }

    /// A self-signed certificate for localhost and 127.0.0.1 (openssl), its PEM paths.
    public static func certificate(in folder: URL) throws -> (cert: String, key: String) {
        let cert = folder.appendingPathComponent("cert.pem").path
        let key = folder.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw XCTSkip("openssl could not make a test certificate") }
        return (cert, key)
    }
}

/// A received message split into headers and MIME parts (decoded), enough to check what the client sent.
public struct ReceivedMail {
    public var headers: [String: String]
    public var parts: [(headers: [String: String], content: String)]

    public init(_ data: String) {
        let (headers, body) = Self.split(data)
        self.headers = headers
        self.parts = []
        guard let type = headers["content-type"], let range = type.range(of: "boundary=\"") else { return }
        let boundary = String(type[range.upperBound...].prefix { $0 != "\"" })
        for chunk in body.components(separatedBy: "--\(boundary)").dropFirst() {
            if chunk.hasPrefix("--") { break }
            let (partHeaders, content) = Self.split(String(chunk.drop { $0 == "\r\n" || $0 == "\n" }))
            let decoded: String
            if partHeaders["content-transfer-encoding"] == "base64" {
                let compact = content.filter { !$0.isWhitespace }
                decoded = String(decoding: Data(base64Encoded: compact) ?? Data(), as: UTF8.self)
            } else {
                // "\r\n" is one Character.
                decoded = content.hasSuffix("\r\n") ? String(content.dropLast()) : content
            }
            self.parts.append((partHeaders, decoded))
        }
    }

    /// Headers (names in lower case, folded lines joined) and the body after the first blank line.
    private static func split(_ text: String) -> ([String: String], String) {
        guard let blank = text.range(of: "\r\n\r\n") else { return ([:], text) }
        var headers: [String: String] = [:]
        var last: String?
        for line in text[..<blank.lowerBound].components(separatedBy: "\r\n") {
            if line.first == " " || line.first == "\t", let name = last {
                headers[name, default: ""] += line
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            last = name
        }
        return (headers, String(text[blank.upperBound...]))
    }
}
