import Hummingbird

/// `GET /metrics`: Prometheus text format.
struct MetricsController {
    /// Adds `/metrics`.
    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/metrics", use: self.metrics)
    }

    /// `GET /metrics`: every metric in Prometheus text format.
    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        var buffer: [UInt8] = []
        Observability.registry.emit(into: &buffer)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
    }
}
