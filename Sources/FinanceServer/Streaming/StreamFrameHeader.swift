import NIOCore

/// The header of an unmasked, final WebSocket text frame (RFC 6455 §5.2), as the server sends it: the headers of
/// messages under 126 bytes are built once and shared.
enum StreamFrameHeader {
    private static let short: [ByteBuffer] = (0..<126).map { length in
        ByteBuffer(bytes: [0x81, UInt8(length)])
    }

    /// The header of a text frame of `length` payload bytes.
    static func text(length: Int) -> ByteBuffer {
        if length < 126 { return self.short[length] }
        var header = ByteBuffer()
        if length <= Int(UInt16.max) {
            header.reserveCapacity(4)
            header.writeInteger(UInt8(0x81))
            header.writeInteger(UInt8(126))
            header.writeInteger(UInt16(length))
        } else {
            header.reserveCapacity(10)
            header.writeInteger(UInt8(0x81))
            header.writeInteger(UInt8(127))
            header.writeInteger(UInt64(length))
        }
        return header
    }
}
