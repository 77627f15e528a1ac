import Hummingbird

/// CORS for the browser origins of `http.corsOrigins`: their preflight (`OPTIONS` with
/// `Access-Control-Request-Method`) is answered 204 with the methods and headers the API takes, and their responses
/// carry `Access-Control-Allow-Origin`. Other origins get no CORS headers, so browsers keep them out.
struct AllowedOriginsMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: Set<String>

    static var allowedMethods: String { "GET, POST, PUT, DELETE, OPTIONS" }
    static var allowedHeaders: String { "Authorization, Content-Type, X-API-Key" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let origin = request.headers[.origin], self.origins.contains(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            return Response(
                status: .noContent,
                headers: [
                    .accessControlAllowOrigin: origin, .accessControlAllowMethods: Self.allowedMethods,
                    .accessControlAllowHeaders: Self.allowedHeaders, .accessControlMaxAge: "600", .vary: "Origin",
                ])
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            // Answered here rather than by the problem middleware outside, so the problem carries the CORS headers.
            response = ProblemMiddleware<Context>.problem(for: error, logger: context.logger).response()
        }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        return response
    }
}
