import Foundation

/// The payment provider as the Marketplace needs it (payments and refunds); the composition root
/// adapts the Hyperswitch client to it, and this module never imports a provider's client.
public protocol MarketplacePaymentProvider: Sendable {
    /// Creates the order's payment. `idempotencyKey` (the order id) is explicit at every call: a
    /// repeat with the same key and `paymentID` returns the existing payment.
    func createPayment(
        _ request: MarketplacePaymentRequest,
        idempotencyKey: String
    ) async throws
        -> MarketplaceProviderPayment
    /// Reads a payment's current state (the truth a webhook only hints at).
    func retrievePayment(id: String) async throws -> MarketplaceProviderPayment
    /// Creates a refund with `refund_id` = `request.refundID` (the refund row id) and that
    /// `Idempotency-Key`; a repeat returns the existing refund.
    func createRefund(
        _ request: MarketplaceRefundRequest,
        idempotencyKey: String
    ) async throws
        -> MarketplaceProviderRefund
    /// Reads a refund's current state.
    func retrieveRefund(id: String) async throws -> MarketplaceProviderRefund
}

/// Where a provider object is.
public enum ProviderOutcome: String, Sendable, Equatable {
    case succeeded
    /// Failed, cancelled or expired: it will never succeed.
    case failed
    /// Not terminal yet.
    case pending
}

/// One payment to ask for, in minor units.
public struct MarketplacePaymentRequest: Sendable, Equatable {
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
public struct MarketplaceProviderPayment: Sendable, Equatable {
    public var id: String
    public var outcome: ProviderOutcome
    /// The provider's raw status, for logs.
    public var status: String
    public var amountMinor: Int64
    /// ISO 4217, as the provider reports it (compared without regard to case).
    public var currency: String
    public var clientSecret: String?

    public init(
        id: String,
        outcome: ProviderOutcome,
        status: String,
        amountMinor: Int64,
        currency: String,
        clientSecret: String?
    ) {
        self.id = id
        self.outcome = outcome
        self.status = status
        self.amountMinor = amountMinor
        self.currency = currency
        self.clientSecret = clientSecret
    }

    /// Whether the provider took exactly `amountCents` in `currency`: anything else grants nothing.
    public func pays(_ amountCents: Int64, in currency: String) -> Bool {
        self.amountMinor == amountCents && self.currency.uppercased() == currency.uppercased()
    }
}

/// One refund to ask for.
public struct MarketplaceRefundRequest: Sendable, Equatable {
    /// The refund row id, lowercase: the provider's `refund_id`.
    public var refundID: String
    public var paymentID: String
    public var amountMinor: Int64

    public init(refundID: String, paymentID: String, amountMinor: Int64) {
        self.refundID = refundID
        self.paymentID = paymentID
        self.amountMinor = amountMinor
    }
}

/// What the provider says about a refund.
public struct MarketplaceProviderRefund: Sendable, Equatable {
    public var id: String
    public var paymentID: String
    public var outcome: ProviderOutcome
    public var status: String

    public init(id: String, paymentID: String, outcome: ProviderOutcome, status: String) {
        self.id = id
        self.paymentID = paymentID
        self.outcome = outcome
        self.status = status
    }
}

/// Whether a user may sell (the subscription plans' `sell` feature), adapted by the composition
/// root so that this module does not import Subscription.
public protocol SellerGate: Sendable {
    func maySell(userID: UUID) async throws -> Bool
}

/// The provider has no such payment or refund (HTTP 404): what the reconciler needs to tell a
/// crash before the provider call from a transient error.
public struct MarketplaceProviderNotFound: Error, Sendable, Equatable {
    public var id: String

    public init(id: String) {
        self.id = id
    }
}
