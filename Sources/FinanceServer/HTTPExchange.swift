import FinanceCore
import Hummingbird
import NIOCore

/// Keeps every HTTP/1 exchange whole on the wire, whatever the routes do. The outermost middleware.
///
/// - A request body the route left unread (an early 404, 413 or 422) is read and discarded once the response has
///   been written. Hummingbird 2.28 does this itself for a keep-alive request, but after a request with
///   `Connection: close` it half-closes and stops reading: a client that sends its whole body before reading the
///   response (urllib, most scripts) then waits forever on a full socket buffer. Read to its end, the body
///   arrives, the client reads the response, and the connection closes.
/// - A `HEAD` request's body is read before the response, which has no body (the router's `HEAD` endpoints drop the
///   body of the `GET` response, and with it a drain that would follow it).
/// - A response to a request that asked to close (`Connection: close`) says `Connection: close`: the server closes
///   the connection after it, and a client told so does not count the close as a failed read.
struct HTTPExchangeMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var response = try await self.exchange(request, context: context, next: next)
        if Self.asksToClose(request) { response.headers[.connection] = "close" }
        return response
    }

    /// True when the server will close the connection after this exchange: Hummingbird 2.28 closes when the
    /// request's `Connection` header is exactly `close` (other spellings, such as `Close` or `keep-alive, close`,
    /// keep it open), so the response says so in exactly those cases.
    static func asksToClose(_ request: Request) -> Bool {
        request.headers[.connection] == "close"
    }

    /// The exchange with its request body kept whole (see the type's notes).
    private func exchange(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
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
        if request.method == .head {
            await body.drain()
            return response.createHeadResponse()
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

/// `405 Method Not Allowed` for a path that has routes, but none for the request's method (the router alone answers
/// 404), with an `Allow` header. Added after every route, so it only wraps the router's not-found responder.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Answers a `GET` of any routed path with a response whose `Allow` header lists the path's methods.
    let paths: RouterResponder<Context>

    /// Matches the paths of `router`'s routes (call it once every route is registered).
    init(routes: [Router<Context>.RouteDescription]) {
        var methods: [String: (path: RouterPath, methods: Set<String>)] = [:]
        for route in routes {
            methods[route.path.description, default: (route.path, [])].methods.insert(route.method.rawValue)
            if route.method == .get { methods[route.path.description]!.methods.insert("HEAD") }
        }
        let probe = Router(context: Context.self)
        for (path, allowed) in methods.values {
            let allow = allowed.sorted().joined(separator: ", ")
            probe.get(path) { _, _ in Response(status: .ok, headers: [.allow: allow]) }
        }
        self.paths = probe.buildResponder()
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            var head = request.head
            head.method = .get
            let probe = Request(head: head, body: RequestBody(buffer: ByteBuffer()))
            guard let found = try? await self.paths.respond(to: probe, context: context),
                let allow = found.headers[.allow]
            else { throw error }
            var response = Problem(
                status: .methodNotAllowed,
                detail:
                    "\(Echo.text(request.method.rawValue)) is not allowed on \(Echo.text(request.uri.path, limit: 100)): use \(allow)"
            ).response()
            response.headers[.allow] = allow
            return response
        }
    }
}
