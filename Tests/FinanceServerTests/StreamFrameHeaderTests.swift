import NIOCore
import NIOEmbedded
import NIOWebSocket
import XCTest

@testable import FinanceServer

/// The frame headers the loop writer sends below the encoder are byte for byte what NIO's encoder writes.
final class StreamFrameHeaderTests: XCTestCase {
    func testHeadersMatchNIOsEncoderAtEveryLengthBoundary() throws {
        for length in [0, 1, 125, 126, 127, 65_535, 65_536, 70_000] {
            let channel = EmbeddedChannel(handler: WebSocketFrameEncoder())
            let payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: length)
            try channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: payload)).wait()
            var expected = ByteBuffer()
            while var part = try channel.readOutbound(as: ByteBuffer.self) { expected.writeBuffer(&part) }
            var ours = StreamFrameHeader.text(length: length)
            var body = payload
            ours.writeBuffer(&body)
            XCTAssertEqual(ours, expected, "length \(length)")
            _ = try channel.finish()
        }
    }
}
