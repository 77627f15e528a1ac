import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A blocking TCP connection to 127.0.0.1 whose sends and receives give up after `timeout` seconds: a server that
/// stops reading makes `send` return false instead of hanging the test.
final class RawConnection {
    let fd: Int32

    init(port: Int, timeout: Int = 10) throws {
        #if canImport(Glibc)
            self.fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            self.fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard self.fd >= 0 else { throw POSIXError(.EBADF) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(self.fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(self.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(self.fd)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    deinit { close(self.fd) }

    /// Sends every byte; false when the peer stopped reading for the timeout, or reset the connection.
    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            #if canImport(Glibc)
                let flags = Int32(MSG_NOSIGNAL)
            #else
                let flags: Int32 = 0
            #endif
            let n = bytes.withUnsafeBytes { socketSend(self.fd, $0.baseAddress! + sent, bytes.count - sent, flags) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    func send(_ text: String) -> Bool { self.send(Array(text.utf8)) }

    /// Everything received until the peer closes its side (`closed`), or until the timeout passes without data.
    func receiveAll() -> (text: String, closed: Bool) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress!, $0.count, 0) }
            if n == 0 { return (String(decoding: received, as: UTF8.self), true) }
            if n < 0 { return (String(decoding: received, as: UTF8.self), false) }
            received += buffer[0..<n]
        }
    }
}

private func socketSend(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
    send(fd, bytes, count, flags)
}

/// Runs blocking work on a thread of its own, so the tasks serving the requests keep the cooperative pool.
func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

/// The HTTP/1 exchange as a client sees it on the wire, on a live server.
final class HTTPExchangeTests: XCTestCase {
    /// A request head; `length` nil means a chunked body.
    static func head(_ method: String, _ path: String, length: Int?, close: Bool = true) -> String {
        var text =
            "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + "Authorization: Bearer \(TestAuth.adminToken)\r\n"
        text += length.map { "Content-Length: \($0)\r\n" } ?? "Transfer-Encoding: chunked\r\n"
        return text + (close ? "Connection: close\r\n" : "") + "\r\n"
    }

    /// Sends a head and a body of `size` bytes (a JSON array opening then spaces), all of it before reading, as
    /// urllib does; returns whether the body could be sent, and what came back until the server closed.
    static func sendFirst(
        port: Int, method: String = "POST", path: String, size: Int, chunked: Bool = false
    ) async -> (sent: Bool, response: String, closed: Bool) {
        await onThread {
            guard let connection = try? RawConnection(port: port) else { return (false, "no connection", false) }
            guard connection.send(Self.head(method, path, length: chunked ? nil : size)) else {
                return (false, "", false)
            }
            let piece = [UInt8(ascii: "[")] + [UInt8](repeating: 32, count: 1_048_575)
            var left = size
            while left > 0 {
                let part = Array(piece.prefix(left))
                let framed = chunked ? Array((String(part.count, radix: 16) + "\r\n").utf8) + part + [13, 10] : part
                guard connection.send(framed) else { return (false, "", false) }
                left -= part.count
            }
            if chunked, !connection.send("0\r\n\r\n") { return (false, "", false) }
            let (text, closed) = connection.receiveAll()
            return (true, text, closed)
        }
    }

    func testEarlyErrorsOnConnectionCloseReadTheBodyAndClose() async throws {
        try await makeApp(maxBodyBytes: 64 * 1024).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            // Before: the server wrote the response, then neither read the rest of the body nor closed, and a client
            // sending its whole body first waited forever.
            for (path, size, chunked, status) in [
                ("/api/bars/AAA?interval=1m", 16_000_000, false, "413"),  // refused on its Content-Length
                ("/api/bars/AAA?interval=1m", 16_000_000, true, "413"),  // refused after reading the limit
                ("/api/bars/AAA?interval=zz", 8_000_000, false, "422"),  // body never read
                ("/nowhere", 8_000_000, false, "404"),
                ("/health", 8_000_000, false, "405"),
            ] {
                let result = await Self.sendFirst(port: port, path: path, size: size, chunked: chunked)
                XCTAssertTrue(result.sent, "\(path) chunked \(chunked): the server stopped reading the body")
                XCTAssertTrue(
                    result.response.hasPrefix("HTTP/1.1 \(status) "), "\(path): \(result.response.prefix(200))")
                XCTAssertTrue(result.response.contains("application/problem+json"), "\(path)")
                XCTAssertTrue(result.closed, "\(path): the server did not close the connection")
            }
        }
    }

    func testAnUnreadBodyOnAKeptAliveConnectionLeavesTheNextRequestIntact() async throws {
        try await makeApp(maxBodyBytes: 64 * 1024).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let result = await onThread { () -> (Bool, String, Bool) in
                guard let connection = try? RawConnection(port: port) else { return (false, "", false) }
                let body = "[" + String(repeating: " ", count: 2_000_000) + "]"
                let first = Self.head("POST", "/api/bars/AAA?interval=1m", length: body.utf8.count, close: false)
                let second = "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                guard connection.send(first + body + second) else { return (false, "", false) }
                let (text, closed) = connection.receiveAll()
                return (true, text, closed)
            }
            XCTAssertTrue(result.0)
            XCTAssertTrue(result.1.hasPrefix("HTTP/1.1 413 "), String(result.1.prefix(200)))
            XCTAssertTrue(result.1.contains("\r\n\r\n{\"status\":\"ok\"}"), String(result.1.suffix(300)))
            XCTAssertTrue(result.2)
        }
    }

    func testAResponseToARequestThatAskedToCloseSaysConnectionClose() async throws {
        try await makeApp().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let responses = await onThread { () -> [String] in
                guard let connection = try? RawConnection(port: port) else { return [] }
                // Pipelined on one connection: a keep-alive request, a HEAD, an error, then one that asks to close.
                let heads = [
                    "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n",
                    "HEAD /health HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n",
                    "GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n",
                    "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                ]
                guard connection.send(heads.joined()) else { return [] }
                let (text, closed) = connection.receiveAll()
                guard closed else { return ["not closed"] }
                return text.components(separatedBy: "HTTP/1.1 ").filter { !$0.isEmpty }
            }
            XCTAssertEqual(responses.count, 4, "\(responses)")
            let says = responses.map { $0.lowercased().contains("connection: close\r\n") }
            XCTAssertEqual(says, [false, false, false, true], "\(responses)")
        }
    }

    func testHeadAnswersWithoutABodyOnTheWire() async throws {
        try await makeApp().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            // Pipelined: a body after a HEAD response would be read as the start of the next response.
            let text = await onThread { () -> String in
                guard let connection = try? RawConnection(port: port) else { return "" }
                let requests =
                    "HEAD /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
                    + "HEAD /ready HTTP/1.1\r\nHost: localhost\r\n\r\n"
                    + "HEAD /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n"
                    + "HEAD /api/ticks HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(TestAuth.adminToken)\r\n\r\n"
                    + "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                guard connection.send(requests) else { return "" }
                return connection.receiveAll().text
            }
            let responses = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { "HTTP/1.1 " + $0 }
            XCTAssertEqual(responses.count, 5, text)
            guard responses.count == 5 else { return }
            for (response, status) in zip(responses, ["200", "200", "404", "405", "200"]) {
                XCTAssertTrue(response.hasPrefix("HTTP/1.1 \(status) "), response)
            }
            for response in responses.prefix(4) {
                XCTAssertTrue(response.hasSuffix("\r\n\r\n"), "a HEAD response has a body: \(response)")
            }
            XCTAssertTrue(responses[0].lowercased().contains("content-length: 15\r\n"), responses[0])
            XCTAssertTrue(responses[3].lowercased().contains("allow: post\r\n"), responses[3])
            XCTAssertTrue(responses[4].hasSuffix("{\"status\":\"ok\"}"), responses[4])
        }
    }

    func testAWrongMethodOnARoutedPathIs405WithAllow() async throws {
        try await makeApp().test(.router) { client in
            for (method, uri, allow) in [
                (HTTPRequest.Method.post, "/health", "GET, HEAD"), (.delete, "/ready", "GET, HEAD"),
                (.patch, "/api/assets/AAA", "DELETE, GET, HEAD, PUT"), (.put, "/api/assets", "GET, HEAD, POST"),
                (.get, "/api/ticks", "POST"), (.delete, "/api/bars/AAA", "GET, HEAD, POST"),
            ] {
                let r = try await client.send(method, uri)
                XCTAssertEqual(r.status, .methodNotAllowed, "\(method) \(uri): \(r.text)")
                XCTAssertEqual(r.headers[.allow], allow, "\(method) \(uri)")
                XCTAssertEqual(r.headers[.contentType], "application/problem+json", "\(method) \(uri)")
                XCTAssertEqual(r.problem?.status, 405)
                XCTAssertEqual(r.problem?.detail, "\(method.rawValue) is not allowed on \(uri): use \(allow)")
            }
            // The path is quoted cut short.
            let long = "/api/assets/" + String(repeating: "A", count: 300)
            let cut = try await client.send(.patch, long)
            XCTAssertEqual(cut.status, .methodNotAllowed)
            XCTAssertEqual(
                cut.problem?.detail,
                "PATCH is not allowed on \(long.prefix(100))…: use DELETE, GET, HEAD, PUT")
            for uri in ["/nowhere", "/api/assets/AAA/extra", "/healthz"] {
                let r = try await client.send(.post, uri)
                XCTAssertEqual(r.status, .notFound, uri)
                XCTAssertNil(r.headers[.allow], uri)
            }
            for uri in ["/health", "/ready"] {
                let get = try await client.send(.get, uri)
                let head = try await client.send(.head, uri)
                XCTAssertEqual(head.status, .ok, uri)
                XCTAssertEqual(head.body.readableBytes, 0, uri)
                XCTAssertEqual(head.headers[.contentType], "application/json", uri)
                XCTAssertEqual(head.headers[.contentLength], String(get.body.readableBytes), uri)
            }
        }
    }
}
