import Foundation
import Marketplace
import Payments
import Subscription

/// The Hyperswitch client as the Marketplace module's payment provider: the composition root's
/// adapter, so that Marketplace never imports Payments.
struct HyperswitchMarketplaceProvider: MarketplacePaymentProvider {
    let client: HyperswitchClient

    func createPayment(
        _ request: MarketplacePaymentRequest,
        idempotencyKey: String
    ) async throws
        -> MarketplaceProviderPayment
    {
        Self.payment(
            try await self.client.createPayment(
                HyperswitchPaymentRequest(
                    paymentID: request.paymentID,
                    amountMinor: request.amountMinor,
                    currency: request.currency,
                    customerID: request.customerID,
                    metadata: request.metadata
                ),
                idempotencyKey: idempotencyKey
            )
        )
    }

    func retrievePayment(id: String) async throws -> MarketplaceProviderPayment {
        do {
            return Self.payment(try await self.client.retrievePayment(id: id))
        } catch let error as HyperswitchError where error.isNotFound {
            throw MarketplaceProviderNotFound(id: id)
        }
    }

    func createRefund(
        _ request: MarketplaceRefundRequest,
        idempotencyKey: String
    ) async throws
        -> MarketplaceProviderRefund
    {
        Self.refund(
            try await self.client.createRefund(
                HyperswitchRefundRequest(
                    refundID: request.refundID,
                    paymentID: request.paymentID,
                    amountMinor: request.amountMinor
                ),
                idempotencyKey: idempotencyKey
            )
        )
    }

    func retrieveRefund(id: String) async throws -> MarketplaceProviderRefund {
        do {
            return Self.refund(try await self.client.retrieveRefund(id: id))
        } catch let error as HyperswitchError where error.isNotFound {
            throw MarketplaceProviderNotFound(id: id)
        }
    }

    static func payment(_ payment: HyperswitchPayment) -> MarketplaceProviderPayment {
        let outcome: ProviderOutcome =
            payment.status.isSucceeded ? .succeeded : payment.status.isFailed ? .failed : .pending
        return MarketplaceProviderPayment(
            id: payment.id,
            outcome: outcome,
            status: payment.status.rawValue,
            amountMinor: payment.amountMinor,
            currency: payment.currency,
            clientSecret: payment.clientSecret
        )
    }

    static func refund(_ refund: HyperswitchRefund) -> MarketplaceProviderRefund {
        let outcome: ProviderOutcome =
            refund.status.isSucceeded ? .succeeded : refund.status.isFailed ? .failed : .pending
        return MarketplaceProviderRefund(
            id: refund.refundID,
            paymentID: refund.paymentID,
            outcome: outcome,
            status: refund.status.rawValue
        )
    }
}

/// The `sell` plan feature for the Marketplace, from ``FeatureGate``.
struct PlanSellerGate: SellerGate {
    let gate: FeatureGate

    func maySell(userID: UUID) async throws -> Bool {
        try await self.gate.can(userID, .sell)
    }
}
