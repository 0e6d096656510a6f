import Foundation

/// Where an order is; see ``Order/StateMachine``.
public enum OrderStatus: String, Codable, Sendable, CaseIterable {
    /// The payment was created at the provider; its webhook has not arrived yet.
    case pending
    /// The provider confirmed the payment: the buyer holds a licence and the seller was credited.
    case completed
    /// The provider reported the payment failed.
    case failed
    /// A refund was requested and is not settled yet.
    case refundPending = "refund_pending"
    /// The refund succeeded: the licence is revoked and the seller debited.
    case refunded
}

/// One purchase of one licence by one buyer, paid through one provider payment.
public struct Order: Codable, Sendable, Equatable, Identifiable {
    public var id: UUID
    public var buyerID: UUID
    public var sellerID: UUID
    public var productID: UUID
    public var licenceID: UUID
    public var licenceKind: LicenceKind
    public var amountCents: Int64
    public var currency: String
    public var status: OrderStatus
    /// The provider's payment id (ours, sent as `payment_id`), once the payment exists.
    public var paymentID: String?
    public var createdAt: Date
    public var paidAt: Date?

    public init(
        id: UUID,
        buyerID: UUID,
        sellerID: UUID,
        productID: UUID,
        licenceID: UUID,
        licenceKind: LicenceKind,
        amountCents: Int64,
        currency: String,
        status: OrderStatus,
        paymentID: String?,
        createdAt: Date,
        paidAt: Date?
    ) {
        self.id = id
        self.buyerID = buyerID
        self.sellerID = sellerID
        self.productID = productID
        self.licenceID = licenceID
        self.licenceKind = licenceKind
        self.amountCents = amountCents
        self.currency = currency
        self.status = status
        self.paymentID = paymentID
        self.createdAt = createdAt
        self.paidAt = paidAt
    }
}
