import Foundation

/// An error from ``HyperswitchClient``: the provider's `{"error":{"type","code","message"}}` answer,
/// or a failure on our side of the wire (no answer, an unreadable answer, a refused argument).
///
/// Provider errors keep Hyperswitch's own `type` (`invalid_request`, `api`, `connector`, …) and
/// `code` (`HE_01`, `HE_02`, `IR_04`, …). Failures that never reached the provider use the types
/// `transport` and `client`, which Hyperswitch does not send. The message never contains the API key.
public struct HyperswitchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Hyperswitch's error type, or `transport` / `client` for our own failures.
    public var type: String
    /// Hyperswitch's code (`HE_02`), or ours (`timeout`, `connection`, `invalid_response`,
    /// `missing_idempotency_key`, `conflicting_duplicate`).
    public var code: String
    public var message: String
    /// The HTTP status of the answer; `nil` when there was none.
    public var httpStatus: Int?

    /// Creates an error.
    public init(type: String, code: String, message: String, httpStatus: Int?) {
        self.type = type
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
    }

    /// `HE_01`: an object with this merchant-chosen id already exists.
    public var isDuplicate: Bool { self.code == "HE_01" }

    /// `HE_02` or a 404: the object does not exist.
    public var isNotFound: Bool { self.code == "HE_02" || self.httpStatus == 404 }

    /// Worth trying again later: no answer came, or the provider failed (5xx).
    public var isTransient: Bool { self.type == "transport" || (self.httpStatus ?? 0) >= 500 }

    public var description: String {
        "Hyperswitch \(self.type) \(self.code)\(self.httpStatus.map { " (HTTP \($0))" } ?? ""): \(self.message)"
    }

    static func missingIdempotencyKey(_ call: String) -> HyperswitchError {
        HyperswitchError(
            type: "client",
            code: "missing_idempotency_key",
            message: "\(call) needs a non-empty idempotency key.",
            httpStatus: nil
        )
    }

    static func transport(_ failure: ProviderTransportFailure) -> HyperswitchError {
        HyperswitchError(type: "transport", code: failure.kind, message: failure.description, httpStatus: nil)
    }

    static func invalidResponse(_ call: String, status: Int, detail: String) -> HyperswitchError {
        HyperswitchError(
            type: "client",
            code: "invalid_response",
            message: "\(call): HTTP \(status) with a body that is not what Hyperswitch sends (\(detail)).",
            httpStatus: status
        )
    }

    /// The error an unsuccessful answer stands for, from its JSON body when it has one.
    static func from(_ response: ProviderResponse, call: String) -> HyperswitchError {
        struct Body: Decodable {
            struct Detail: Decodable {
                var type: String?
                var code: String?
                var message: String?
            }
            var error: Detail
        }
        let body = try? JSONDecoder().decode(Body.self, from: Data(response.body.readableBytesView))
        let fallbackType = response.status >= 500 ? "api" : "invalid_request"
        return HyperswitchError(
            type: body?.error.type ?? fallbackType,
            code: body?.error.code ?? "http_\(response.status)",
            message: body?.error.message ?? "\(call) failed with HTTP \(response.status).",
            httpStatus: response.status
        )
    }
}
