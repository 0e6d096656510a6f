import Foundation

/// Where an invoice is; see ``Invoice/StateMachine``.
public enum InvoiceStatus: String, Codable, Sendable, CaseIterable {
    /// A payment was (or is about to be) requested from the provider.
    case pending
    /// The provider confirmed the payment; `paid_at` is stamped once.
    case paid
    /// The provider reported the payment failed (or it was abandoned).
    case failed
    /// Superseded without a payment (a canceled checkout, an expired renewal).
    case void
}

/// Why an invoice exists: what its payment does to the subscription.
public enum InvoiceKind: String, Codable, Sendable, CaseIterable {
    /// The first payment of a subscription (or the first after a trial): activates it.
    case initial
    /// The next period: moves `past_due` back to `active`.
    case renewal
    /// A change to a higher plan: switches the plan when paid.
    case upgrade
}

/// One amount asked of a user, paid through one provider payment.
public struct Invoice: Codable, Sendable, Equatable, Identifiable {
    public var id: UUID
    public var subscriptionID: UUID
    public var userID: UUID
    public var kind: InvoiceKind
    /// The plan and cycle this payment buys.
    public var planID: String
    public var billingCycle: BillingCycle
    public var amountCents: Int64
    public var currency: String
    public var status: InvoiceStatus
    /// Our id, sent to the provider as `payment_id` so a duplicate is detected there.
    public var paymentID: String
    /// The `Idempotency-Key` of the provider call (the subscription id for its first invoice).
    public var idempotencyKey: String
    /// When the provider accepted the payment request; nil until then (a crash between the insert
    /// and the call leaves it nil, and the reconciler makes the call).
    public var requestedAt: Date?
    public var paidAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id
        case subscriptionID = "subscription_id"
        case userID = "user_id"
        case kind
        case planID = "plan_id"
        case billingCycle = "billing_cycle"
        case amountCents = "amount_cents"
        case currency
        case status
        case paymentID = "payment_id"
        case idempotencyKey = "idempotency_key"
        case requestedAt = "requested_at"
        case paidAt = "paid_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    static let columns = """
        id, subscription_id, user_id, kind, plan_id, billing_cycle, amount_cents, currency, status, payment_id, \
        idempotency_key, requested_at, paid_at, created_at, updated_at
        """
}
