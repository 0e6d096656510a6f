import Foundation

/// An error from ``StripeConnectClient``: Stripe's `{"error":{"type","code","message","param"}}`
/// answer, or a failure on our side of the wire.
///
/// Errors compare by kind only (`error == .resourceMissing`), whatever the message. The kinds the
/// marketplace acts on are distinct: ``resourceMissing`` (404 `resource_missing`: the transfer
/// does not exist, retrying cannot help) and ``alreadyReversed`` (Stripe has no code for it; it is
/// recognised by the `invalid_request_error` message "… is already fully reversed.").
public struct StripeError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: String, Sendable {
        case resourceMissing, alreadyReversed, idempotencyConflict, invalidRequest, authentication, rateLimited
        case api, transport, invalidResponse, missingIdempotencyKey
    }

    private var kind: Kind
    /// Stripe's error type (`invalid_request_error`, `api_error`, `idempotency_error`, …), or
    /// `transport` / `client` for failures that never got a Stripe answer.
    public var type: String
    /// Stripe's code (`resource_missing`, `balance_insufficient`, …), when it sent one.
    public var code: String?
    public var message: String
    /// The parameter Stripe blamed, when it named one.
    public var param: String?
    /// The HTTP status of the answer; `nil` when there was none.
    public var httpStatus: Int?

    private init(_ kind: Kind, type: String, message: String) {
        self.kind = kind
        self.type = type
        self.message = message
    }

    public static func == (lhs: StripeError, rhs: StripeError) -> Bool { lhs.kind == rhs.kind }

    /// 404 `resource_missing`: no such transfer (or other object).
    public static let resourceMissing = StripeError(
        .resourceMissing,
        type: "invalid_request_error",
        message: "No such object."
    )
    /// The transfer is already fully reversed: nothing is left to reverse.
    public static let alreadyReversed = StripeError(
        .alreadyReversed,
        type: "invalid_request_error",
        message: "The transfer is already fully reversed."
    )
    /// `idempotency_error`: the key was used with other parameters.
    public static let idempotencyConflict = StripeError(
        .idempotencyConflict,
        type: "idempotency_error",
        message: "The idempotency key was used with other parameters."
    )
    /// Any other 4xx the request itself caused (bad parameter, insufficient balance, …).
    public static let invalidRequest = StripeError(
        .invalidRequest,
        type: "invalid_request_error",
        message: "Invalid request."
    )
    /// 401/403: the secret key was refused.
    public static let authentication = StripeError(
        .authentication,
        type: "invalid_request_error",
        message: "Refused key."
    )
    /// 429, or 409 for a request that ran concurrently with the same key: try again later.
    public static let rateLimited = StripeError(
        .rateLimited,
        type: "invalid_request_error",
        message: "Try again later."
    )
    /// 5xx: Stripe failed.
    public static let api = StripeError(.api, type: "api_error", message: "Stripe failed.")
    /// No answer came (connection, timeout).
    public static let transport = StripeError(.transport, type: "transport", message: "No answer from Stripe.")
    /// An answer that is not what Stripe sends.
    public static let invalidResponse = StripeError(.invalidResponse, type: "client", message: "Unreadable answer.")
    /// An empty idempotency key, refused before any I/O.
    public static let missingIdempotencyKey = StripeError(
        .missingIdempotencyKey,
        type: "client",
        message: "A non-empty idempotency key is required."
    )

    /// Worth trying again later (with the same idempotency key).
    public var isTransient: Bool { [.api, .transport, .rateLimited].contains(self.kind) }

    public var description: String {
        var text = "Stripe \(self.kind.rawValue) (\(self.type)"
        if let code { text += ", \(code)" }
        if let httpStatus { text += ", HTTP \(httpStatus)" }
        return text + "): \(self.message)"
    }

    func with(message: String, code: String? = nil, param: String? = nil, httpStatus: Int? = nil) -> StripeError {
        var copy = self
        copy.message = message
        copy.code = code
        copy.param = param
        copy.httpStatus = httpStatus
        return copy
    }

    /// The error an unsuccessful answer stands for.
    static func from(_ response: ProviderResponse, call: String) -> StripeError {
        struct Body: Decodable {
            struct Detail: Decodable {
                var type: String?
                var code: String?
                var message: String?
                var param: String?
            }
            var error: Detail
        }
        let detail = (try? JSONDecoder().decode(Body.self, from: Data(response.body.readableBytesView)))?.error
        let status = response.status
        let message = detail?.message ?? "\(call) failed with HTTP \(status)."
        var error: StripeError
        switch (status, detail?.type, detail?.code) {
        case (404, _, "resource_missing"), (404, _, nil): error = .resourceMissing
        case (_, "idempotency_error", _): error = .idempotencyConflict
        case (401, _, _), (403, _, _): error = .authentication
        case (409, _, _), (429, _, _): error = .rateLimited
        case (500..., _, _): error = .api
        case (_, "invalid_request_error", _) where message.lowercased().contains("already fully reversed"):
            error = .alreadyReversed
        default: error = .invalidRequest
        }
        error.type = detail?.type ?? error.type
        return error.with(message: message, code: detail?.code, param: detail?.param, httpStatus: status)
    }
}
