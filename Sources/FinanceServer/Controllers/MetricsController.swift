import Hummingbird

/// `GET /metrics`: Prometheus text format.
struct MetricsController<Context: RequestContext> {
    func register(on router: Router<Context>) {
        router.get("/metrics") { _, _ in
            var buffer: [UInt8] = []
            Observability.registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }
}
