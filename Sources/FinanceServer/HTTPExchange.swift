import Hummingbird
import NIOCore

/// Keeps every HTTP/1 exchange whole on the wire, whatever the routes do. The outermost middleware.
///
/// A request body the route left unread (an early 404, 413 or 422) is read and discarded once the response has
/// been written. Hummingbird 2.28 does this itself for a keep-alive request, but after a request with
/// `Connection: close` it half-closes and stops reading: a client that sends its whole body before reading the
/// response (urllib, most scripts) then waits forever on a full socket buffer. Read to its end, the body
/// arrives, the client reads the response, and the connection closes.
struct HTTPExchangeMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var request = request
        let body = RequestBodyTap(request.body)
        request.body = RequestBody(asyncSequence: body)
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            await body.drain()
            throw error
        }
        if body.isFinished { return response }
        let original = response.body
        response.body = ResponseBody(contentLength: original.contentLength) { writer in
            do {
                try await original.write(writer)
            } catch {
                await body.drain()
                throw error
            }
            await body.drain()
        }
        return response
    }
}

/// A request body that remembers whether it was read to its end and can read the rest. Routes read it once, in the
/// request's task, before the middleware drains it in the same task: one reader at a time.
final class RequestBodyTap: AsyncSequence, @unchecked Sendable {
    typealias Element = ByteBuffer

    private let body: RequestBody
    private var iterator: RequestBody.AsyncIterator?
    /// True once the body ended or failed.
    private(set) var isFinished = false

    init(_ body: RequestBody) { self.body = body }

    /// The next part of the body; every iterator continues where the previous one stopped.
    func next() async throws -> ByteBuffer? {
        if self.isFinished { return nil }
        var iterator = self.iterator ?? self.body.makeAsyncIterator()
        do {
            let part = try await iterator.next()
            self.iterator = iterator
            if part == nil { self.isFinished = true }
            return part
        } catch {
            self.isFinished = true
            throw error
        }
    }

    /// Reads and discards the rest of the body (nothing when it was read to its end).
    func drain() async {
        while !self.isFinished {
            guard (try? await self.next()) != nil else { return }
        }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let tap: RequestBodyTap
        mutating func next() async throws -> ByteBuffer? { try await self.tap.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(tap: self) }
}
