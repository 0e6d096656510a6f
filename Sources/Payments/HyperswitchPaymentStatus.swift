/// A provider's status string, kept as sent: encoded and decoded as a bare JSON string, so that a
/// value a newer provider version adds still decodes (and is then simply not one of the known ones).
public protocol ProviderStatus: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible
where RawValue == String {
    init(rawValue: String)
}

extension ProviderStatus {
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }

    public var description: String { self.rawValue }
}

/// A payment's `status` as Hyperswitch sends it (`IntentStatus`, snake_case).
///
/// A struct rather than an enum so that a status added by a newer Hyperswitch decodes too: it is
/// then neither terminal, succeeded nor failed (``isKnown`` is false), and callers leave the
/// payment for a later look instead of failing on it.
public struct HyperswitchPaymentStatus: ProviderStatus {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static let succeeded = Self(rawValue: "succeeded")
    public static let failed = Self(rawValue: "failed")
    public static let cancelled = Self(rawValue: "cancelled")
    public static let cancelledPostCapture = Self(rawValue: "cancelled_post_capture")
    public static let processing = Self(rawValue: "processing")
    public static let requiresCustomerAction = Self(rawValue: "requires_customer_action")
    public static let requiresMerchantAction = Self(rawValue: "requires_merchant_action")
    public static let requiresPaymentMethod = Self(rawValue: "requires_payment_method")
    public static let requiresConfirmation = Self(rawValue: "requires_confirmation")
    public static let requiresCapture = Self(rawValue: "requires_capture")
    public static let partiallyCaptured = Self(rawValue: "partially_captured")
    public static let partiallyCapturedAndCapturable = Self(rawValue: "partially_captured_and_capturable")
    public static let partiallyAuthorizedAndRequiresCapture = Self(
        rawValue: "partially_authorized_and_requires_capture"
    )
    public static let conflicted = Self(rawValue: "conflicted")
    public static let expired = Self(rawValue: "expired")

    /// Every status Hyperswitch documents (`crates/common_enums/src/enums.rs`, IntentStatus).
    public static let known: Set<Self> = [
        .succeeded, .failed, .cancelled, .cancelledPostCapture, .processing, .requiresCustomerAction,
        .requiresMerchantAction, .requiresPaymentMethod, .requiresConfirmation, .requiresCapture,
        .partiallyCaptured, .partiallyCapturedAndCapturable, .partiallyAuthorizedAndRequiresCapture,
        .conflicted, .expired,
    ]

    /// Whether this is one of the documented statuses.
    public var isKnown: Bool { Self.known.contains(self) }

    /// No further change is expected (Hyperswitch's `is_in_terminal_state`).
    public var isTerminal: Bool {
        [.succeeded, .failed, .cancelled, .cancelledPostCapture, .partiallyCaptured, .expired].contains(self)
    }

    /// The whole amount was paid.
    public var isSucceeded: Bool { self == .succeeded }

    /// Ended without the money: failed, cancelled (also after capture) or expired.
    ///
    /// `partially_captured` is terminal but neither succeeded nor failed: it needs a person.
    public var isFailed: Bool { [.failed, .cancelled, .cancelledPostCapture, .expired].contains(self) }
}

/// A refund's `status` as Hyperswitch sends it: `succeeded`, `failed`, `pending` or `review`.
///
/// Like ``HyperswitchPaymentStatus``, an undocumented value decodes and counts as not terminal.
public struct HyperswitchRefundStatus: ProviderStatus {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static let succeeded = Self(rawValue: "succeeded")
    public static let failed = Self(rawValue: "failed")
    /// The default: the connector has not answered yet.
    public static let pending = Self(rawValue: "pending")
    /// Held for manual review.
    public static let review = Self(rawValue: "review")

    /// Every status Hyperswitch documents (`crates/api_models/src/refunds.rs`, RefundStatus).
    public static let known: Set<Self> = [.succeeded, .failed, .pending, .review]

    public var isKnown: Bool { Self.known.contains(self) }
    public var isTerminal: Bool { self == .succeeded || self == .failed }
    public var isSucceeded: Bool { self == .succeeded }
    public var isFailed: Bool { self == .failed }
}
