import NIOCore
import NIOWebSocket
import Synchronization

/// Moves a connection's queued messages to its socket on the connection's own event loop, without a task of its own.
///
/// The hub routes a tick to hundreds of connections at once; waking one task per connection, which then hops to the
/// event loop to write and flush one frame, costs a task switch, a cross-thread wake-up and a system call per message.
/// Here a queued message marks the connection dirty on its event loop's `StreamLoopFlushQueue`; the loop, woken once
/// for every connection that became dirty meanwhile, writes each one's whole queue and flushes it once (one `writev`).
///
/// At most one batch per connection is in flight: while the socket has not taken the last batch (a client that does
/// not read), new messages stay in the connection's bounded queue, where conflation and the slow-client rule apply.
/// Closing stays with the session's writer task (`StreamSession.writeLoop`), which the connection wakes for that.
final class StreamLoopWriter: Sendable {
    private struct State {
        /// Waiting in the loop's flush queue.
        var scheduled = false
        /// A batch was written and the socket has not taken all of it yet.
        var inFlight = false
    }

    let channel: any Channel
    /// Strong: the connection drops its writer when it finishes (`StreamConnection.finish`), ending the cycle.
    private let connection: StreamConnection
    private let queue: StreamLoopFlushQueue
    private let state = Mutex(State())
    private let encoder: NIOLoopBoundBox<ChannelHandlerContext?>

    init(channel: any Channel, connection: StreamConnection) {
        self.channel = channel
        self.connection = connection
        self.queue = StreamLoopFlushQueue.of(channel.eventLoop)
        self.encoder = .makeEmptyBox(valueType: ChannelHandlerContext.self, eventLoop: channel.eventLoop)
    }

    /// Asks for the queue to be written soon (a no-op while already asked or while a batch is in flight: its
    /// completion asks again).
    func schedule() {
        let first = self.state.withLock { s in
            guard !s.scheduled, !s.inFlight else { return false }
            s.scheduled = true
            return true
        }
        if first { self.queue.add(self) }
    }

    /// Writes the queue as one batch of text frames with one flush. On the event loop.
    func flush() {
        self.state.withLock { $0.scheduled = false }
        let connection = self.connection
        guard connection.closeRequest == nil, !connection.isSlow else { return }
        let texts = connection.drain()
        guard !texts.isEmpty else { return }
        self.state.withLock { $0.inFlight = true }
        let promise = self.channel.eventLoop.makePromise(of: Void.self)
        let last = texts.count - 1
        let pipeline = self.channel.pipeline.syncOperations
        if let encoder = self.encoderContext() {
            // Below the frame encoder: each frame as a shared header and the message's own (shared) bytes, so a tick
            // sent to a thousand clients is neither copied nor re-encoded per client.
            for (i, text) in texts.enumerated() {
                encoder.write(NIOAny(StreamFrameHeader.text(length: text.readableBytes)), promise: nil)
                encoder.write(NIOAny(text), promise: i == last ? promise : nil)
            }
        } else {
            for (i, text) in texts.enumerated() {
                let frame = WebSocketFrame(fin: true, opcode: .text, data: text)
                pipeline.write(NIOAny(frame), promise: i == last ? promise : nil)
            }
        }
        promise.futureResult.whenComplete { result in
            self.state.withLock { $0.inFlight = false }
            switch result {
            case .success:
                connection.messagesOut.add(texts.count, ordering: .relaxed)
                StreamMetrics.messagesOut.increment(by: texts.count)
                if connection.queueDepth > 0 { self.schedule() }
            case .failure:
                // The socket is gone: the reader sees the end too; the session stops without a close frame.
                connection.requestClose(code: nil, reason: "write failed")
            }
        }
        pipeline.flush()
    }

    /// The context of the channel's `WebSocketFrameEncoder` (writes from it skip the encoder), found once. On the
    /// event loop.
    private func encoderContext() -> ChannelHandlerContext? {
        if let context = self.encoder.value { return context }
        let context = try? self.channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
        self.encoder.value = context
        return context
    }
}

/// The connections of one event loop that have messages to write: the loop is woken once for all of them.
final class StreamLoopFlushQueue: Sendable {
    private let loop: any EventLoop
    private let pending = Mutex<[StreamLoopWriter]>([])

    private init(loop: any EventLoop) {
        self.loop = loop
    }

    /// The queue of `loop` (one per event loop, kept for the life of the process: the server's loops are few).
    static func of(_ loop: any EventLoop) -> StreamLoopFlushQueue {
        let key = ObjectIdentifier(loop)
        return self.queues.withLock { queues in
            if let queue = queues[key] { return queue }
            let queue = StreamLoopFlushQueue(loop: loop)
            queues[key] = queue
            return queue
        }
    }

    private static let queues = Mutex<[ObjectIdentifier: StreamLoopFlushQueue]>([:])

    func add(_ writer: StreamLoopWriter) {
        let wasEmpty = self.pending.withLock { pending in
            pending.append(writer)
            return pending.count == 1
        }
        if wasEmpty { self.loop.execute { self.run() } }
    }

    private func run() {
        let writers = self.pending.withLock { pending in
            let all = pending
            pending.removeAll(keepingCapacity: true)
            return all
        }
        for writer in writers { writer.flush() }
    }
}
