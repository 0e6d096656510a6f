import Payments
import Subscription

/// The Hyperswitch client as the Subscription module's provider: the composition root's adapter,
/// so that Subscription never imports Payments.
struct HyperswitchSubscriptionProvider: SubscriptionPaymentProvider {
    let client: HyperswitchClient

    func createPayment(
        _ request: SubscriptionPaymentRequest,
        idempotencyKey: String
    ) async throws
        -> SubscriptionProviderPayment
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

    func retrievePayment(id: String) async throws -> SubscriptionProviderPayment {
        Self.payment(try await self.client.retrievePayment(id: id))
    }

    static func payment(_ payment: HyperswitchPayment) -> SubscriptionProviderPayment {
        let outcome: SubscriptionProviderPayment.Outcome =
            payment.status.isSucceeded ? .succeeded : payment.status.isFailed ? .failed : .pending
        return SubscriptionProviderPayment(
            id: payment.id,
            outcome: outcome,
            status: payment.status.rawValue,
            amountMinor: payment.amountMinor,
            clientSecret: payment.clientSecret
        )
    }
}
