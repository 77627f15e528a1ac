import Foundation
import Hummingbird

/// `GET /openapi.json` (the OpenAPI 3.1 document) and `GET /docs` (a readable page of it, no external assets).
struct DocsController<Context: RequestContext> {
    func register(on router: Router<Context>) {
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.data)))
        }
        router.get("/docs") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.html)))
        }
    }
}
