/// A Marketplace failure, with a stable code for logs and HTTP answers.
public struct MarketplaceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable codes; the HTTP edge maps each to a status.
    public enum Code: String, Sendable, CaseIterable {
        case illegalTransition = "illegal_transition"
        case concurrentChange = "concurrent_change"
        /// No such product, licence, order or refund (or not the caller's to see).
        case notFound = "not_found"
        /// The caller may see it but not change it (not the owner, the buyer or the seller).
        case forbidden = "forbidden"
        /// The caller's plan lacks the `sell` feature.
        case planRequired = "plan_required"
        /// The request body is wrong (prices, currencies, kinds); nothing was written.
        case invalidInput = "invalid_input"
        /// Only `ready` tracks are sold.
        case trackNotReady = "track_not_ready"
        /// The track has a listed product already.
        case alreadyListed = "already_listed"
        /// Buying a licence of one's own track.
        case ownTrack = "own_track"
        /// The product is unlisted (by its seller, or sold exclusively).
        case productUnlisted = "product_unlisted"
        /// Another exclusive order of the product is pending or paid.
        case exclusiveUnavailable = "exclusive_unavailable"
        /// A refund of the order is in flight.
        case refundInProgress = "refund_in_progress"
        /// The order is not in a state that can be refunded (unpaid, refunded).
        case notRefundable = "not_refundable"
        /// `REFUND_WINDOW` has passed since the payment.
        case refundWindowClosed = "refund_window_closed"
        /// No payment provider is configured.
        case providerUnavailable = "payment_provider_unavailable"
        /// The provider refused or failed the call.
        case providerFailed = "payment_provider_failed"
    }

    /// The stable code.
    public let code: Code
    /// What happened, for the operator or the caller.
    public let message: String

    init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The stable code (`illegal_transition`, `concurrent_change`, …).
    public var codeString: String { self.code.rawValue }
    public var description: String { "\(self.code.rawValue): \(self.message)" }

    /// The state machine refuses the move; nothing was written.
    public static func illegalTransition(_ message: String) -> Self { Self(code: .illegalTransition, message: message) }
    /// The guarded update matched no row: another node moved the row first.
    public static func concurrentChange(_ message: String) -> Self { Self(code: .concurrentChange, message: message) }
    /// A refusal of a request, with the caller-facing message.
    public static func refused(_ code: Code, _ message: String) -> Self { Self(code: code, message: message) }
}
