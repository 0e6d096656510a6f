import HTTPTypes
import Hummingbird

/// Reads `Authorization: Bearer <JWT>` into ``AppRequestContext/identity``.
///
/// No header leaves the caller anonymous (public tracks are playable without an account); a header
/// that is present but not a valid bearer token is refused with 401 rather than ignored, so a client
/// with a broken token learns it at once.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let tokens: AccessTokens

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            return try await next(request, context)
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthorized("the Authorization header must be 'Bearer <token>'")
        }
        var context = context
        context.identity = try await self.tokens.verify(String(parts[1]).trimmingCharacters(in: .whitespaces))
        return try await next(request, context)
    }
}

/// Refuses anonymous callers on the routes it guards.
struct RequireIdentityMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard context.identity != nil else {
            throw APIError.unauthorized("this route needs an 'Authorization: Bearer <token>' header")
        }
        return try await next(request, context)
    }
}
