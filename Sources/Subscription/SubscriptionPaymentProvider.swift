import Foundation

/// The payment provider as the Subscription module needs it; the composition root adapts the
/// Hyperswitch client to it, and this module never imports a provider's client.
public protocol SubscriptionPaymentProvider: Sendable {
    /// Asks for a payment. `idempotencyKey` is explicit at every call: a retried call with the
    /// same key (and the same `paymentID`) returns the existing payment instead of a second one.
    func createPayment(
        _ request: SubscriptionPaymentRequest,
        idempotencyKey: String
    ) async throws
        -> SubscriptionProviderPayment
    /// Reads a payment's current state (the truth a webhook only hints at).
    func retrievePayment(id: String) async throws -> SubscriptionProviderPayment
}

/// One payment to ask for, amounts in minor units.
public struct SubscriptionPaymentRequest: Sendable, Equatable {
    /// Our id for the payment, so the provider detects a duplicate.
    public var paymentID: String
    public var amountMinor: Int64
    public var currency: String
    public var customerID: String
    public var metadata: [String: String]

    public init(paymentID: String, amountMinor: Int64, currency: String, customerID: String, metadata: [String: String])
    {
        self.paymentID = paymentID
        self.amountMinor = amountMinor
        self.currency = currency
        self.customerID = customerID
        self.metadata = metadata
    }
}

/// What the provider says about a payment.
public struct SubscriptionProviderPayment: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case succeeded
        /// Failed, cancelled or expired: it will never succeed.
        case failed
        /// Not terminal yet (waiting for the customer, processing).
        case pending
    }

    public var id: String
    public var outcome: Outcome
    /// The provider's raw status, for logs.
    public var status: String
    public var amountMinor: Int64
    public var clientSecret: String?

    public init(id: String, outcome: Outcome, status: String, amountMinor: Int64, clientSecret: String?) {
        self.id = id
        self.outcome = outcome
        self.status = status
        self.amountMinor = amountMinor
        self.clientSecret = clientSecret
    }
}
