import FinanceApp
import Hummingbird

/// `GET /metrics`: Prometheus text format; with `http.metricsToken` set, only for `Authorization: Bearer <token>`.
struct MetricsController {
    let token: String?

    /// Adds `/metrics`.
    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/metrics", use: self.metrics)
    }

    /// `GET /metrics`: every metric in Prometheus text format.
    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let token = self.token {
            let sent = AuthenticationMiddleware.bearerToken(request.headers[.authorization]) ?? ""
            guard AuthService.constantTimeEqual(sent, token) else {
                var problem = Problem(
                    status: .unauthorized, detail: "/metrics needs the metrics token (http.metricsToken)")
                problem.headers["WWW-Authenticate"] = "Bearer"
                throw problem
            }
        }
        var buffer: [UInt8] = []
        Observability.registry.emit(into: &buffer)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
    }
}
