import HummingbirdWebSocket
import NIOCore
import NIOWebSocket

/// The session's writer for the end of a connection: a last message (an error), then the close handshake. Messages
/// in the normal course go out through the connection's `StreamLoopWriter`; both enter the pipeline at its tail, in
/// the order they were written, and pass the same frame encoder.
struct StreamFrameWriter: Sendable {
    let channel: any Channel
    let outbound: WebSocketOutboundWriter

    /// Writes `texts` as text frames and returns once the last one reached the socket (it waits while the client
    /// does not read); cancelled, it closes the channel.
    func write(_ texts: [ByteBuffer]) async throws {
        guard !texts.isEmpty else { return }
        let channel = self.channel
        let written = channel.eventLoop.flatSubmit {
            let pipeline = channel.pipeline.syncOperations
            let promise = channel.eventLoop.makePromise(of: Void.self)
            for (i, text) in texts.enumerated() {
                let frame = WebSocketFrame(fin: true, opcode: .text, data: text)
                pipeline.write(NIOAny(frame), promise: i == texts.count - 1 ? promise : nil)
            }
            pipeline.flush()
            return promise.futureResult
        }
        // A future does not end on cancellation: when the session gives up on a client that does not read (the
        // watchdog), the channel is closed, which fails the stuck write.
        try await withTaskCancellationHandler {
            try await written.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    /// Sends a close frame with `code` and `reason` (the library's close handshake).
    func close(_ code: WebSocketErrorCode, reason: String?) async throws {
        try await self.outbound.close(code, reason: reason)
    }
}
