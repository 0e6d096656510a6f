import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import VezaAPI

/// An error answered as `{"error": {"code": "...", "message": "..."}}` with its HTTP status.
///
/// `code` is stable and machine-readable; `message` tells the caller what to fix.
public struct APIError: Error, HTTPResponseError, CustomStringConvertible, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// Extra headers, e.g. `WWW-Authenticate` or `Retry-After`.
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(self.status.code) \(self.code): \(self.message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        self.response()
    }

    /// The JSON response, also used where no request context is at hand.
    func response() -> Response {
        let data = (try? APIJSON.encoder().encode(APIErrorBody(code: self.code, message: self.message))) ?? Data()
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = headers[.cacheControl] ?? "no-store"
        return Response(status: self.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension APIError {
    static func notFound(_ message: String = "no such resource") -> APIError {
        APIError(.notFound, code: "not_found", message: message)
    }

    static func badRequest(_ message: String, code: String = "bad_request") -> APIError {
        APIError(.badRequest, code: code, message: message)
    }

    static func unauthorized(_ message: String) -> APIError {
        APIError(
            .unauthorized,
            code: "unauthorized",
            message: message,
            headers: [.wwwAuthenticate: "Bearer realm=\"veza\""]
        )
    }

    static func forbidden(_ message: String) -> APIError {
        APIError(.forbidden, code: "forbidden", message: message)
    }

    /// A request whose framing (chunked encoding, Content-Length, Transfer-Encoding) is broken.
    static func malformedBody(_ error: HTTPParserError) -> APIError {
        APIError(
            .badRequest,
            code: "malformed_body",
            message: "the request is not framed correctly (\(error)): check Content-Length and chunked encoding",
            headers: [.connection: "close"]
        )
    }

    static let unexpected = APIError(
        .internalServerError,
        code: "internal_error",
        message: "the server failed to handle the request; it has been logged with the request id"
    )
}
