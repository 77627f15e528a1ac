import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// One subscriber of the load tool: a bare SwiftNIO WebSocket client (no per-message task or allocation beyond
/// NIO's frame), which reads only the `ts` of each price message and records it on its loop's `WSLoadRecorder`.
final class WSLoadClientHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let recorder: WSLoadRecorder
    private let index: Int
    private var closeCode: UInt16 = 0

    init(recorder: WSLoadRecorder, index: Int) {
        self.recorder = recorder
        self.index = index
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let payload = frame.maskKey == nil ? frame.data : frame.unmaskedData
            switch payload.withUnsafeReadableBytes({ WSLoadFrame.classify($0) }) {
            case .price(let ts): self.recorder.price(self.index, ts: ts)
            case .other: self.recorder.other(self.index)
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(self.wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            var payload = frame.unmaskedData
            self.closeCode = payload.readInteger(as: UInt16.self) ?? 0
            context.close(promise: nil)
        default:
            self.recorder.other(self.index)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.recorder.closed(self.index, code: self.closeCode)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Opens load-tool clients: an HTTP/1.1 upgrade with `Authorization: Bearer`, then `WSLoadClientHandler`.
enum WSLoadConnector {
    enum Outcome: Sendable {
        case upgraded(any Channel)
        /// The server answered the handshake without upgrading (401, 429, ...).
        case refused
    }

    /// Connects client `slot` to `path` on `loop`, recording on `recorder` (which must belong to `loop`).
    static func connect(
        slot: Int, host: String, port: Int, path: String, token: String, loop: any EventLoop,
        recorder: WSLoadRecorder
    ) async throws -> Outcome {
        let upgrade: EventLoopFuture<Outcome> = try await ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<Outcome>(
                        maxFrameSize: 1 << 16,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                let index = recorder.register(slot: slot)
                                try channel.pipeline.syncOperations.addHandler(
                                    WSLoadClientHandler(recorder: recorder, index: index))
                                return Outcome.upgraded(channel)
                            }
                        })
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(host):\(port)")
                    headers.add(name: "Authorization", value: "Bearer \(token)")
                    headers.add(name: "Content-Length", value: "0")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Outcome>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.close(promise: nil)
                            return channel.eventLoop.makeSucceededFuture(Outcome.refused)
                        })
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: .init(upgradeConfiguration: configuration))
                }
            }
        return try await upgrade.get()
    }
}
