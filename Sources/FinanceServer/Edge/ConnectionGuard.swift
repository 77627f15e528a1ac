import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOHTTP1

/// The HTTP edge of one connection, between the HTTP/1 decoder and the rest of the pipeline: the header-read and idle
/// timeouts, the answer to a connection accepted over `http.maxConnections`, and problem answers (414, 431, 400) to
/// request heads the parser refuses, where SwiftNIO alone answers a bare 400.
///
/// - A request head must arrive within `http.headerTimeoutSeconds`, counted from the accept (the first request) or from
///   its first byte (a kept-alive connection): then 408 and close (a connection that sent nothing is closed silently).
/// - A kept-alive connection idle between requests for `http.idleTimeoutSeconds` is closed; so is one whose response
///   stalls that long (the client stopped reading it), or whose request body stops arriving that long. A request being
///   worked on (read whole, no response head yet) never times out.
/// - After `101 Switching Protocols` the connection is a WebSocket and no HTTP timeout applies.
///
/// Every answer closes the connection gracefully: the answer is written, the output closed, and what the client still
/// sends is read and dropped for `lingerSeconds` (closing with unread data would reset the connection, and the client
/// could lose the answer). Its types are `Any` because after an upgrade the decoder hands on raw bytes.
final class ConnectionGuard: ChannelDuplexHandler {
    typealias InboundIn = Any
    typealias InboundOut = Any
    typealias OutboundIn = Any
    typealias OutboundOut = Any

    enum Phase {
        /// Waiting for a request head: since the accept, or since the first byte of a request after an idle spell.
        case awaitingHead
        /// At least one request is being answered.
        case active
        /// Kept alive between requests, no byte of the next one yet.
        case idle
        /// A WebSocket since the 101: the guard only passes things on.
        case upgraded
        /// Answered (or timed out) and closing: everything the client sends is dropped.
        case closing
    }

    let settings: HTTPEdgeSettings
    /// The connection was accepted beyond `http.maxConnections`: its request is answered 503.
    let overCapacity: Bool
    /// The decoder's limit on a request head (request line and header fields together).
    let maxHeadBytes: Int
    private(set) var phase = Phase.awaitingHead
    /// When the current phase started (the accept, the first byte of a request, the end of a response).
    private var phaseStart = NIODeadline.now()
    /// Whether a byte of the awaited request head arrived (a timeout then answers 408 rather than closing silently).
    private var headStarted = false
    /// Bytes of the awaited request's first line so far, and whether it ended: a head over the limit is a 414 when its
    /// request line alone passes the limit, else a 431.
    private var requestLineBytes = 0
    private var requestLineEnded = false
    /// Requests read and not yet answered to their end (more than one when the client pipelines).
    private var inFlight = 0
    /// A request body is being read (its head came, its end not yet); `lastRead` is its latest part.
    private var readingBody = false
    private var lastRead = NIODeadline.now()
    /// A response head was written and its end not yet; `lastWrite` is its latest write.
    private var writingResponse = false
    private var lastWrite = NIODeadline.now()
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var context: ChannelHandlerContext?

    init(settings: HTTPEdgeSettings, overCapacity: Bool, maxHeadBytes: Int) {
        self.settings = settings
        self.overCapacity = overCapacity
        self.maxHeadBytes = maxHeadBytes
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.armTimer()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.cancelTimer()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.cancelTimer()
        // As in `finish()`: a WebSocket upgrade handler still waiting for a first request ends quietly.
        if self.phase != .upgraded { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        context.fireChannelInactive()
    }

    // MARK: Requests in, responses out

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.phase {
        case .closing: return
        case .upgraded:
            context.fireChannelRead(data)
            return
        case .awaitingHead, .active, .idle: break
        }
        switch self.unwrapInboundIn(data) as? HTTPServerRequestPart {
        case .head:
            self.inFlight += 1
            self.phase = .active
            self.readingBody = true
            self.lastRead = .now()
            if self.overCapacity {
                self.answer(
                    .serviceUnavailable, reason: "capacity", headers: [("Retry-After", "1")],
                    detail:
                        "the server holds its maximum of \(self.settings.maxConnections) connections (http.maxConnections): retry later"
                )
                return
            }
        case .body: self.lastRead = .now()
        case .end: self.readingBody = false
        case nil: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if self.phase != .upgraded, let part = self.unwrapOutboundIn(data) as? HTTPServerResponsePart {
            switch part {
            case .head(let head):
                if head.status == .switchingProtocols {
                    self.phase = .upgraded
                    self.cancelTimer()
                } else {
                    self.writingResponse = true
                    self.lastWrite = .now()
                    self.armTimer()
                }
            case .body:
                self.lastWrite = .now()
            case .end:
                self.writingResponse = false
                self.inFlight = max(0, self.inFlight - 1)
                if self.inFlight == 0, self.phase == .active {
                    self.phase = .idle
                    self.phaseStart = .now()
                    self.armTimer()
                }
            }
        }
        context.write(data, promise: promise)
    }

    /// A request head the decoder refused, before any response of this connection is under way: answered here.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if self.phase == .closing { return }
        guard let parse = error as? HTTPParserError, self.phase == .awaitingHead, self.inFlight == 0 else {
            context.fireErrorCaught(error)
            return
        }
        if parse == .headerOverflow {
            if self.requestLineEnded && self.requestLineBytes <= self.maxHeadBytes {
                self.answer(
                    .requestHeaderFieldsTooLarge, reason: "headTooLarge",
                    detail: "the request's header fields pass the limit of \(self.maxHeadBytes) bytes")
            } else {
                self.answer(
                    .uriTooLong, reason: "uriTooLong",
                    detail: "the request target passes the limit of \(self.maxHeadBytes) bytes")
            }
        } else {
            self.answer(.badRequest, reason: "badRequest", detail: "the request is not valid HTTP/1.1 (\(parse))")
        }
    }

    // MARK: Bytes, seen by `Tap` at the front of the pipeline

    /// Notes bytes from the client; false when they are to be dropped (the connection is closing).
    func bytesArrived(_ buffer: ByteBuffer) -> Bool {
        switch self.phase {
        case .closing: return false
        case .upgraded, .active: return true
        case .idle:
            self.phase = .awaitingHead
            self.phaseStart = .now()
            self.requestLineBytes = 0
            self.requestLineEnded = false
        case .awaitingHead: break
        }
        self.headStarted = true
        if !self.requestLineEnded {
            if let end = buffer.withUnsafeReadableBytes({ $0.firstIndex(of: UInt8(ascii: "\n")) }) {
                self.requestLineBytes += end
                self.requestLineEnded = true
            } else {
                self.requestLineBytes += buffer.readableBytes
            }
        }
        return true
    }

    /// The server is shutting down: a connection with no request under way closes now.
    func shouldQuiesce() -> Bool {
        self.phase == .idle || (self.phase == .awaitingHead && !self.headStarted)
    }

    // MARK: Timeouts

    /// When the current phase times out; nil when it cannot.
    private var deadline: NIODeadline? {
        let idle = TimeAmount.seconds(Int64(self.settings.idleTimeoutSeconds))
        switch self.phase {
        case .awaitingHead: return self.phaseStart + .seconds(Int64(self.settings.headerTimeoutSeconds))
        case .idle: return self.phaseStart + idle
        case .active:
            if self.writingResponse { return self.lastWrite + idle }
            return self.readingBody ? self.lastRead + idle : nil
        case .upgraded, .closing: return nil
        }
    }

    /// Makes sure a check runs by the current deadline. One timer serves every phase: a later deadline keeps the
    /// pending check, which re-arms when it finds the connection busy, so a request rarely schedules anything.
    func armTimer() {
        guard let context = self.context, let deadline = self.deadline else { return }
        if let pending = self.timerDeadline, pending <= deadline { return }
        self.timer?.cancel()
        self.timerDeadline = deadline
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timer = nil
            self.timerDeadline = nil
            self.deadlineReached()
        }
    }

    private func cancelTimer() {
        self.timer?.cancel()
        self.timer = nil
        self.timerDeadline = nil
    }

    private func deadlineReached() {
        guard let deadline = self.deadline else { return }
        if NIODeadline.now() < deadline {
            self.armTimer()
            return
        }
        switch self.phase {
        case .awaitingHead where self.headStarted:
            self.answer(
                .requestTimeout, reason: "headerTimeout",
                detail:
                    "the request head did not arrive within \(self.settings.headerTimeoutSeconds) s (http.headerTimeoutSeconds)"
            )
        case .awaitingHead:
            Self.count("headerTimeout")
            self.finish()
        case .idle, .active:
            Self.count(self.phase == .idle ? "idleTimeout" : self.writingResponse ? "stalledResponse" : "stalledBody")
            self.finish()
        case .upgraded, .closing: break
        }
    }

    // MARK: Answers

    /// Answers `status` with a problem document, then closes gracefully (see the type's notes).
    private func answer(
        _ status: HTTPResponse.Status, reason: String, headers extra: [(String, String)] = [], detail: String
    ) {
        guard let context = self.context, self.phase != .closing else { return }
        Self.count(reason)
        self.phase = .closing
        self.cancelTimer()
        let problem = Problem(status: status, detail: detail)
        let body = ByteBuffer(bytes: (try? HTTP.encoder.encode(problem)) ?? Data("{\"status\":\(status.code)}".utf8))
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status.code))
        var headers = HTTPHeaders([
            ("Content-Type", "application/problem+json"), ("Content-Length", String(body.readableBytes)),
            ("Connection", "close"),
        ])
        headers.add(contentsOf: extra)
        context.write(
            NIOAny(
                HTTPServerResponsePart.head(
                    HTTPResponseHead(version: head.version, status: head.status, headers: headers))),
            promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).assumeIsolated().whenComplete { result in
            if case .failure = result { self.finish() } else { context.close(mode: .output, promise: nil) }
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(self.settings.lingerSeconds * 1000))) {
            self.finish()
        }
    }

    /// Closes the connection, telling the handlers behind the guard first that input ended, as when a client closes:
    /// the WebSocket upgrade handler, still waiting for a first request, then ends quietly instead of logging an error.
    func finish() {
        guard let context = self.context else { return }
        self.phase = .closing
        self.cancelTimer()
        context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        context.close(promise: nil)
    }

    /// Counts a connection the edge answered or closed, by reason, in `financehub_http_edge_closes_total`.
    private static func count(_ reason: String) {
        Counter(label: "financehub_http_edge_closes_total", dimensions: [("reason", reason)]).increment()
    }
}
