import NIOCore

extension ConnectionGuard {
    /// The front of the pipeline: every byte from the client passes here before the HTTP decoder, so the guard sees a
    /// request start and can drop what a closing connection still receives.
    final class Tap: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer

        let edge: ConnectionGuard

        init(_ edge: ConnectionGuard) { self.edge = edge }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if self.edge.bytesArrived(self.unwrapInboundIn(data)) { context.fireChannelRead(data) }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            // After the decoder has seen the read: a head that arrived whole needs no header timer.
            self.edge.armTimer()
            context.fireChannelReadComplete()
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if self.edge.phase == .closing, let event = event as? ChannelEvent, event == .inputClosed {
                // The client has read the answer and closed its side.
                self.edge.finish()
                return
            }
            if event is ChannelShouldQuiesceEvent, self.edge.shouldQuiesce() {
                self.edge.finish()
                return
            }
            context.fireUserInboundEventTriggered(event)
        }
    }
}
