import FinanceCore
import Hummingbird

extension BarsDTO {
    /// The bytes of chunks a streamed bars body is written in (each written once the client's connection takes it).
    static let chunkBytes = 64 * 1024

    /// `GET /api/bars` of a heavy read: the same bytes `BarsDTO(...).write(to:)` writes, as a body written in chunks
    /// of about `chunkBytes`, each bar turned into text only when its chunk is written. The response is sent with
    /// chunked transfer encoding; `permit` (the read's heavy-read turn) is released once the body is written or fails.
    static func streamedResponse(
        symbol: String, interval: String, bars: [Bar], permit: HeavyReadPermit
    ) -> Response {
        let body = ResponseBody { writer in
            defer { permit.release() }
            var json = JSONOutput(capacity: Self.chunkBytes + 1024)
            json.beginObject()
            json.key("bars")
            json.beginArray()
            for bar in bars {
                try BarDTO(bar).write(to: &json)
                if json.bytes.count >= Self.chunkBytes {
                    try await writer.write(json.takeBytes())
                    // A write the connection takes at once does not suspend: give the thread to other requests (a
                    // quote) between chunks, or two heavy reads would hold both of a 2-core machine's threads.
                    await Task.yield()
                }
            }
            json.endArray()
            json.key("interval")
            json.value(interval)
            json.key("symbol")
            json.value(symbol)
            json.endObject()
            try await writer.write(json.takeBytes())
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: body)
    }
}
