import NIOCore

/// One SMTP reply: its code and the text of each of its lines (`250-PIPELINING`, `250 SIZE` → code 250, texts
/// `PIPELINING`, `SIZE`).
struct SMTPReply: Hashable, Sendable {
    var code: Int
    var lines: [String]

    /// The reply's text on one line, cut to 200 characters (for errors).
    var text: String {
        let text = self.lines.joined(separator: " ")
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}

/// Reads SMTP replies off the connection and hands them, one by one, to whoever waits for the next (`next`). Lives
/// on the channel's event loop; a reply that takes longer than its deadline, a malformed reply, an error or the
/// connection closing fails the waiting read.
final class SMTPReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    /// The longest reply line accepted (RFC 5321 allows 512 octets; servers send longer capability lines).
    static let maxLineBytes = 8_192

    private var buffer = ByteBuffer()
    private var lines: [String] = []
    private var ready = CircularBuffer<Result<SMTPReply, SMTPError>>()
    private var waiter: EventLoopPromise<SMTPReply>?
    private var deadlineTask: Scheduled<Void>?
    private var failure: SMTPError?
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Why the connection failed, once it has (a TLS error explains a write that then failed on a closed channel).
    var recordedFailure: SMTPError? { self.failure }

    /// True when bytes arrived that belong to no reply yet (after STARTTLS's reply that would be an injection).
    var hasUnreadInput: Bool { self.buffer.readableBytes > 0 || !self.lines.isEmpty || !self.ready.isEmpty }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        self.buffer.writeBuffer(&bytes)
        while let newline = self.buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - self.buffer.readerIndex + 1
            guard var line = self.buffer.readString(length: length) else { break }
            while line.last == "\n" || line.last == "\r" || line.last == "\r\n" { line.removeLast() }
            self.take(line: line)
        }
        if self.buffer.readableBytes > Self.maxLineBytes {
            self.fail(.protocolViolation("a reply line longer than \(Self.maxLineBytes) bytes"))
            context.close(promise: nil)
        }
        self.buffer.discardReadBytes()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.fail(.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(.transport(SMTPError.describe(error)))
        context.close(promise: nil)
    }

    /// The next reply, or a failure when none arrives within `timeout`.
    func next(timeout: TimeAmount, eventLoop: any EventLoop) -> EventLoopFuture<SMTPReply> {
        if let result = self.ready.popFirst() {
            switch result {
            case .success(let reply): return eventLoop.makeSucceededFuture(reply)
            case .failure(let error): return eventLoop.makeFailedFuture(error)
            }
        }
        if let failure = self.failure { return eventLoop.makeFailedFuture(failure) }
        guard self.waiter == nil else {
            return eventLoop.makeFailedFuture(SMTPError.protocolViolation("two reads at once"))
        }
        let promise = eventLoop.makePromise(of: SMTPReply.self)
        self.waiter = promise
        self.deadlineTask = eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.fail(.timedOut)
            self.context?.close(promise: nil)
        }
        return promise.futureResult
    }

    private func take(line: String) {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, bytes[0...2].allSatisfy({ (0x30...0x39).contains($0) }),
            let code = Int(String(decoding: bytes[0...2], as: UTF8.self)), (200...599).contains(code),
            bytes.count == 3 || bytes[3] == UInt8(ascii: " ") || bytes[3] == UInt8(ascii: "-")
        else {
            let shown = line.count > 64 ? String(line.prefix(64)) + "…" : line
            self.fail(.protocolViolation("not an SMTP reply: \(shown)"))
            self.context?.close(promise: nil)
            return
        }
        self.lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
        guard bytes.count == 3 || bytes[3] == UInt8(ascii: " ") else { return }
        let reply = SMTPReply(code: code, lines: self.lines)
        self.lines = []
        self.deliver(.success(reply))
    }

    private func deliver(_ result: Result<SMTPReply, SMTPError>) {
        guard let waiter = self.waiter else {
            self.ready.append(result)
            return
        }
        self.waiter = nil
        self.deadlineTask?.cancel()
        self.deadlineTask = nil
        waiter.completeWith(result.mapError { $0 as any Error })
    }

    private func fail(_ error: SMTPError) {
        if self.failure == nil { self.failure = error }
        if self.waiter != nil { self.deliver(.failure(error)) }
    }
}
