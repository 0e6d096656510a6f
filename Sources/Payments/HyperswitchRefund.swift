/// What ``HyperswitchClient/createRefund(_:idempotencyKey:)`` asks Hyperswitch for.
///
/// Hyperswitch rejects unknown fields in a refund request (`deny_unknown_fields`), so only the
/// documented ones are sent.
public struct HyperswitchRefundRequest: Sendable, Equatable {
    /// Our id for the refund, sent as `refund_id`: a second create with it answers `HE_01`.
    public var refundID: String
    /// The payment to refund.
    public var paymentID: String
    /// In minor units; `nil` refunds the whole payment (Hyperswitch's default).
    public var amountMinor: Int64?
    public var reason: String?
    public var metadata: [String: String]

    /// Creates a request.
    ///
    /// - Parameters:
    ///   - refundID: Our id, sent as `refund_id`.
    ///   - paymentID: The payment to refund.
    ///   - amountMinor: The amount in minor units, or `nil` for the whole payment.
    ///   - reason: Shown in Hyperswitch's dashboard.
    ///   - metadata: String pairs stored with the refund.
    public init(
        refundID: String,
        paymentID: String,
        amountMinor: Int64?,
        reason: String? = nil,
        metadata: [String: String] = [:]
    ) {
        self.refundID = refundID
        self.paymentID = paymentID
        self.amountMinor = amountMinor
        self.reason = reason
        self.metadata = metadata
    }
}

extension HyperswitchRefundRequest: Encodable {
    private enum CodingKeys: String, CodingKey {
        case refundID = "refund_id"
        case paymentID = "payment_id"
        case amount, reason, metadata
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.paymentID, forKey: .paymentID)
        try container.encode(self.refundID, forKey: .refundID)
        try container.encodeIfPresent(self.amountMinor, forKey: .amount)
        try container.encodeIfPresent(self.reason, forKey: .reason)
        if !self.metadata.isEmpty { try container.encode(self.metadata, forKey: .metadata) }
    }
}

/// A refund as Hyperswitch describes it (the fields of `RefundResponse` we use).
public struct HyperswitchRefund: Sendable, Equatable, Decodable {
    /// `refund_id`: ours when we chose it.
    public var refundID: String
    public var paymentID: String
    /// `amount`, in minor units.
    public var amountMinor: Int64
    public var currency: String
    public var status: HyperswitchRefundStatus
    public var reason: String?
    /// The connector's reason when the refund failed.
    public var errorMessage: String?
    public var metadata: [String: String]

    /// Creates a refund description (for fakes of the provider protocols in other modules' tests).
    public init(
        refundID: String,
        paymentID: String,
        amountMinor: Int64,
        currency: String,
        status: HyperswitchRefundStatus,
        reason: String? = nil,
        errorMessage: String? = nil,
        metadata: [String: String] = [:]
    ) {
        self.refundID = refundID
        self.paymentID = paymentID
        self.amountMinor = amountMinor
        self.currency = currency
        self.status = status
        self.reason = reason
        self.errorMessage = errorMessage
        self.metadata = metadata
    }

    private enum CodingKeys: String, CodingKey {
        case refundID = "refund_id"
        case paymentID = "payment_id"
        case amount, currency, status, reason, metadata
        case errorMessage = "error_message"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.refundID = try container.decode(String.self, forKey: .refundID)
        self.paymentID = try container.decode(String.self, forKey: .paymentID)
        self.amountMinor = try container.decode(Int64.self, forKey: .amount)
        self.currency = try container.decode(String.self, forKey: .currency)
        self.status = try container.decode(HyperswitchRefundStatus.self, forKey: .status)
        self.reason = try container.decodeIfPresent(String.self, forKey: .reason)
        self.errorMessage = try container.decodeIfPresent(String.self, forKey: .errorMessage)
        self.metadata = try container.decodeIfPresent(StringMetadata.self, forKey: .metadata)?.values ?? [:]
    }
}
