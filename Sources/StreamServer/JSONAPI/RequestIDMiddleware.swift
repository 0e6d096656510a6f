import HTTPTypes
import Hummingbird

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-ID")!
}

/// Echoes the request id Hummingbird puts in the logger metadata (`hb.request.id`) as
/// `X-Request-ID`, so a user's report can be matched with the server log.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.requestID] = context.id
        return response
    }
}
