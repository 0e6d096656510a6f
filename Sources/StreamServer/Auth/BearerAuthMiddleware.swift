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
        guard let token = Self.bearerToken(in: header) else {
            throw APIError.unauthorized("the Authorization header must be 'Bearer <token>'")
        }
        var context = context
        context.identity = try await self.tokens.verify(token)
        return try await next(request, context)
    }
}

extension BearerAuthMiddleware {
    /// The token of an `Authorization: Bearer <token>` value (the scheme in any case); nil for
    /// any other value.
    static func bearerToken(in header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].utf8.count == 6, parts[0].lowercased() == "bearer" else { return nil }
        return Self.trimmingBlanks(parts[1])
    }

    /// `text` without leading and trailing spaces and tabs (what `.whitespaces` trimmed for a
    /// header value, without Foundation's NSString bridging on every request).
    static func trimmingBlanks(_ text: Substring) -> String {
        let blank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let bytes = text.utf8
        guard let first = bytes.firstIndex(where: { !blank($0) }), let last = bytes.lastIndex(where: { !blank($0) })
        else { return "" }
        return String(text[first...last])
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
