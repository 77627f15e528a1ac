import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A local HTTP server standing in for webhook receivers and push servers: it records every request (method,
/// path, authority, headers, body) and answers with a scripted status per request.
public final class RecordingReceiver: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var authority: String?
        /// Header names in lower case, in arrival order.
        public var headers: [(name: String, value: String)]
        public var body: Data

        public func header(_ name: String) -> String? { self.headers.first { $0.name == name.lowercased() }?.value }
        public var json: Any? { try? JSONSerialization.jsonObject(with: self.body) }
    }

    /// The answer to the n-th request (0-based) on `path`: a status, a `Location` (for redirects), and a delay
    /// before answering.
    public typealias Script =
        @Sendable (_ index: Int, _ path: String) -> (status: Int, location: String?, delay: Duration)

    private struct State {
        var requests: [Request] = []
        var port = 0
        var group: ServiceGroup?
        var task: Task<Void, any Error>?
    }

    private let state = Mutex(State())
    private let script: Script

    public init(script: @escaping Script = { _, _ in (200, nil, .zero) }) { self.script = script }

    public var port: Int { self.state.withLock { $0.port } }
    public var requests: [Request] { self.state.withLock { $0.requests } }
    public func url(_ path: String = "/hook") -> String { "http://127.0.0.1:\(self.port)\(path)" }

    public func start() async throws {
        let router = Router()
        let handler: @Sendable (Hummingbird.Request, BasicRequestContext) async throws -> Response = { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            let recorded = Request(
                method: request.method.rawValue, path: request.uri.path, authority: request.head.authority,
                headers: request.headers.map { ($0.name.canonicalName, $0.value) }, body: Data(body.readableBytesView))
            let index = self.state.withLock { s in
                s.requests.append(recorded)
                return s.requests.count - 1
            }
            let answer = self.script(index, recorded.path)
            if answer.delay > .zero { try? await Task.sleep(for: answer.delay) }
            var headers = HTTPFields()
            if let location = answer.location { headers[.location] = location }
            return Response(status: .init(code: answer.status), headers: headers)
        }
        router.post("/", use: handler)
        router.post("**", use: handler)
        router.get("**", use: handler)
        var logger = Logger(label: "test.receiver")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var port = 0
        for await p in ports { port = p }
        self.state.withLock {
            $0.port = port
            $0.group = group
            $0.task = task
        }
        guard port > 0 else { throw CancellationError() }
    }

    public func stop() async {
        let (group, task) = self.state.withLock { ($0.group, $0.task) }
        await group?.triggerGracefulShutdown()
        _ = try? await task?.value
    }
}
