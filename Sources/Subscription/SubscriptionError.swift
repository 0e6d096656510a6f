/// Why a subscription request was refused; ``code`` is stable for the HTTP layer to map.
public struct SubscriptionError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unknownPlan = "unknown_plan"
        case providerUnavailable = "payment_provider_unavailable"
        case providerFailed = "payment_provider_error"
        case alreadySubscribed = "already_subscribed"
        case notFound = "not_found"
        case invalidState = "invalid_state"
        case noChange = "no_change"
    }

    public let code: Code
    public let message: String

    public var description: String { "\(self.code.rawValue): \(self.message)" }

    static func unknownPlan(_ id: String) -> Self {
        Self(code: .unknownPlan, message: "no plan '\(id)'; GET /api/v1/subscriptions/plans lists them")
    }

    static let providerUnavailable = Self(
        code: .providerUnavailable,
        message: "paid plans are unavailable: no payment provider is configured"
    )

    static func providerFailed(_ subscriptionID: String) -> Self {
        Self(
            code: .providerFailed,
            message:
                "the payment provider did not answer; retry, or POST /api/v1/subscriptions/complete/\(subscriptionID)"
        )
    }

    static let alreadySubscribed = Self(
        code: .alreadySubscribed,
        message: "you already have a subscription; use POST /api/v1/subscriptions/change"
    )

    static let notFound = Self(code: .notFound, message: "no such subscription")

    static func invalidState(_ message: String) -> Self { Self(code: .invalidState, message: message) }
}
