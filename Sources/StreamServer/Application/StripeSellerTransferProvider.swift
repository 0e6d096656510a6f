import Marketplace
import Payments

/// The Stripe Connect client as the Marketplace module's payout provider: the composition root's
/// adapter, so that Marketplace never imports Payments.
struct StripeSellerTransferProvider: SellerTransferProvider {
    let client: StripeConnectClient

    func createTransfer(_ request: SellerTransferRequest) async throws -> String {
        do {
            let orderID = request.orderID.uuidString.lowercased()
            // Stripe's object metadata (not log metadata): which order and row the payout is for.
            let stripeMetadata = ["order_id": orderID, "transfer_id": request.idempotencyKey]
            return try await self.client.createTransfer(
                amountMinor: request.amountCents,
                currency: request.currency,
                destination: request.destination,
                transferGroup: "order_" + orderID,
                metadata: stripeMetadata,
                idempotencyKey: request.idempotencyKey
            ).id
        } catch let error as StripeError {
            throw Self.classify(error)
        }
    }

    func reverseTransfer(providerTransferID: String, idempotencyKey: String) async throws -> String {
        do {
            return try await self.client.reverseTransfer(id: providerTransferID, idempotencyKey: idempotencyKey).id
        } catch let error as StripeError {
            throw Self.classify(error)
        }
    }

    /// Stripe's failure kinds as the marketplace's.
    static func classify(_ error: StripeError) -> SellerTransferProviderError {
        let message = error.description
        if error == .resourceMissing { return .resourceMissing(message) }
        if error == .alreadyReversed { return .alreadyReversed(message) }
        if error.isTransient { return .transient(message) }
        return .permanent(message)
    }
}
