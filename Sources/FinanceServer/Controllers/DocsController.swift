import Foundation
import Hummingbird

/// `GET /openapi.json` (the OpenAPI 3.1 document) and `GET /docs` (a readable page of it, no external assets).
struct DocsController {
    /// Adds `/openapi.json` and `/docs`.
    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/openapi.json", use: self.document)
        router.get("/docs", use: self.page)
    }

    /// `GET /openapi.json`: the OpenAPI 3.1 document.
    @Sendable func document(_ request: Request, context: AppRequestContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.data)))
    }

    /// `GET /docs`: the browsable API reference.
    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.html)))
    }
}
