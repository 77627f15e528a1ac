import FinanceApp
import FinanceCore
import FinanceStorage
import Foundation
import Hummingbird
import Logging

/// One entry of a problem's `errors` list.
public struct ProblemItem: Codable, Sendable, Equatable {
    public var index: Int?
    public var field: String
    public var pointer: String
    public var detail: String
}

/// One provider tried for a request, as a problem's `providers` member lists it.
public struct ProviderAttemptItem: Codable, Sendable, Equatable {
    public var provider: String
    public var outcome: String
    public var detail: String
}

/// An RFC 9457 problem document (`application/problem+json`).
public struct Problem: Error, Codable, Sendable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var errors: [ProblemItem]?
    public var correlationId: String?
    /// Extension member of a 503 from the providers: each provider tried and its outcome.
    public var providers: [ProviderAttemptItem]?
    /// Response headers the problem adds (`Retry-After`); not part of the document.
    public var headers: [String: String] = [:]

    private enum CodingKeys: String, CodingKey {
        case type, title, status, detail, errors, correlationId, providers
    }

    public init(
        status: HTTPResponse.Status, detail: String, type: String? = nil, errors: [ProblemItem]? = nil,
        correlationId: String? = nil
    ) {
        self.type = type ?? "about:blank"
        self.title = status.reasonPhrase
        self.status = status.code
        self.detail = detail
        self.errors = errors
        self.correlationId = correlationId
    }

    /// A 422 naming every invalid field.
    public init(validation: ValidationError) {
        let items = validation.issues.map {
            ProblemItem(index: $0.index, field: $0.field, pointer: $0.pointer, detail: $0.detail)
        }
        let first =
            validation.issues.first.map { issue in
                issue.field.isEmpty ? issue.detail : "\(issue.field): \(issue.detail)"
            } ?? "invalid input"
        let detail = validation.issues.count == 1 ? first : "\(validation.issues.count) problems; first: \(first)"
        self.init(
            status: .unprocessableContent, detail: detail, type: "https://financehub.dev/problems/validation",
            errors: items)
    }

    /// The HTTP response holding this problem.
    public func response() -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data("{\"status\":\(self.status)}".utf8)
        var fields: HTTPFields = [.contentType: "application/problem+json"]
        for (name, value) in self.headers.sorted(by: { $0.key < $1.key }) {
            if let field = HTTPFields.Element.Name(name) { fields[field] = value }
        }
        return Response(
            status: HTTPResponse.Status(code: self.status), headers: fields,
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Maps every error to an `application/problem+json` response: validation → 422, not found → 404, conflict → 409,
/// HTTP errors keep their status; anything else is a 500 with a correlation id (details only in the log).
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch {
            return Self.problem(for: error, logger: context.logger).response()
        }
    }

    /// The problem a thrown error becomes.
    public static func problem(for error: any Error, logger: Logger) -> Problem {
        switch error {
        case let problem as Problem: return problem
        case let validation as ValidationError: return Problem(validation: validation)
        case let storage as StorageError:
            switch storage {
            case .notFound: return Problem(status: .notFound, detail: storage.description)
            case .conflict: return Problem(status: .conflict, detail: storage.description)
            case .schemaBehind, .schemaAhead: return Problem(status: .serviceUnavailable, detail: storage.description)
            case .invalidConfiguration: return Self.internalError(error, logger: logger)
            case .backend:
                // The database failed (down, locked, read-only, out of space): a retryable 503, as /ready says.
                return Self.logged(
                    error, logger: logger, message: "database unavailable", status: .serviceUnavailable,
                    detail: "the database is unavailable; retry later (quote the correlation id when reporting it)")
            }
        case let auth as AuthError:
            var problem: Problem
            switch auth {
            case .disabled:
                problem = Problem(status: .forbidden, detail: auth.description)
            case .invalidCredentials, .invalidToken, .refreshReused:
                problem = Problem(status: .unauthorized, detail: auth.description)
                problem.headers["WWW-Authenticate"] = "Bearer"
            }
            return problem
        case let limited as OnDemandLimited:
            var problem = Problem(
                status: .tooManyRequests,
                detail: "your requests caused more than \(limited.perMinute) provider fetches in a minute "
                    + "(providers.onDemand.perUserPerMinute); retry after \(limited.retryAfterSeconds) s")
            problem.headers["Retry-After"] = String(limited.retryAfterSeconds)
            return problem
        case let unavailable as ProvidersUnavailable:
            var problem = Problem(
                status: .serviceUnavailable,
                detail: "no market-data provider could answer; retry after \(unavailable.retryAfterSeconds) s",
                type: "https://financehub.dev/problems/providers-unavailable")
            problem.providers = unavailable.attempts.map {
                ProviderAttemptItem(provider: $0.provider, outcome: $0.outcome, detail: $0.detail)
            }
            problem.headers["Retry-After"] = String(unavailable.retryAfterSeconds)
            return problem
        case let http as HTTPError:
            return Problem(status: http.status, detail: http.body ?? http.status.reasonPhrase)
        case let http as any HTTPResponseError:
            let detail =
                http.status == .contentTooLarge
                ? "the request body is larger than the configured limit" : http.status.reasonPhrase
            return Problem(status: http.status, detail: detail)
        default:
            return Self.internalError(error, logger: logger)
        }
    }

    private static func internalError(_ error: any Error, logger: Logger) -> Problem {
        Self.logged(
            error, logger: logger, message: "request failed", status: .internalServerError,
            detail: "internal error; quote the correlation id when reporting it")
    }

    /// A problem whose cause is logged under a new correlation id and never returned.
    private static func logged(
        _ error: any Error, logger: Logger, message: Logger.Message, status: HTTPResponse.Status, detail: String
    ) -> Problem {
        let id = UUID().uuidString.lowercased()
        logger.error(message, metadata: ["correlation_id": "\(id)", "error": "\(error)"])
        return Problem(status: status, detail: detail, correlationId: id)
    }
}
