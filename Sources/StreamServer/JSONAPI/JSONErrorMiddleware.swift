import HTTPTypes
import Hummingbird
import Logging
import NIOHTTP1

/// Turns every error, and every bodiless 4xx/5xx, into the JSON error shape, so clients parse one
/// format whatever failed: our own ``APIError``s, Hummingbird's `HTTPError`s (unknown route, body
/// too large, bad JSON) and unexpected errors (logged, answered as a generic 500).
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as HTTPParserError {
            // The body stream failed to parse (a bad chunk-size line, a body cut short before its
            // Content-Length or last chunk): the client's fault, whatever route was reading it.
            return APIError.malformedBody(error).response()
        } catch let error as HTTPError {
            return Self.apiError(for: error).response()
        } catch let error as any HTTPResponseError {
            let status = error.status
            return APIError(status, code: Self.code(for: status), message: status.reasonPhrase).response()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            context.logger.error("unhandled error", metadata: ["error.message": "\(String(reflecting: error))"])
            return APIError.unexpected.response()
        }
    }

    static func apiError(for error: HTTPError) -> APIError {
        let status = error.status
        var message = error.body ?? status.reasonPhrase
        switch status {
        case .notFound where error.body == nil:
            message = "no route matches this method and path"
        case .contentTooLarge:
            message = error.body ?? "the request body is larger than this route accepts"
        default:
            break
        }
        return APIError(status, code: Self.code(for: status), message: message, headers: error.headers)
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .badRequest: "bad_request"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .conflict: "conflict"
        case .contentTooLarge: "payload_too_large"
        case .unsupportedMediaType: "unsupported_media_type"
        case .unprocessableContent: "unprocessable"
        case .tooManyRequests: "rate_limited"
        case .serviceUnavailable: "unavailable"
        default: status.code >= 500 ? "internal_error" : "http_\(status.code)"
        }
    }
}
