import Foundation

/// One payout of one order's seller share through a Stripe Connect transfer.
public struct SellerTransfer: Codable, Sendable, Equatable, Identifiable {
    /// Also the `Idempotency-Key` of the Stripe transfer and of its reversal.
    public var id: UUID
    public var orderID: UUID
    public var sellerID: UUID
    public var amountCents: Int64
    public var currency: String
    public var status: TransferStatus
    public var stripeTransferID: String?
    public var stripeReversalID: String?
    public var retryCount: Int
    public var nextRetryAt: Date?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID,
        orderID: UUID,
        sellerID: UUID,
        amountCents: Int64,
        currency: String,
        status: TransferStatus = .pending,
        now: Date
    ) {
        self.id = id
        self.orderID = orderID
        self.sellerID = sellerID
        self.amountCents = amountCents
        self.currency = currency
        self.status = status
        self.stripeTransferID = nil
        self.stripeReversalID = nil
        self.retryCount = 0
        self.nextRetryAt = nil
        self.lastError = nil
        self.createdAt = now
        self.updatedAt = now
    }

    enum CodingKeys: String, CodingKey {
        case id
        case orderID = "order_id"
        case sellerID = "seller_id"
        case amountCents = "amount_cents"
        case currency
        case status
        case stripeTransferID = "stripe_transfer_id"
        case stripeReversalID = "stripe_reversal_id"
        case retryCount = "retry_count"
        case nextRetryAt = "next_retry_at"
        case lastError = "last_error"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    static let columns = """
        id, order_id, seller_id, amount_cents, currency, status, stripe_transfer_id, stripe_reversal_id, \
        retry_count, next_retry_at, last_error, created_at, updated_at
        """
}
