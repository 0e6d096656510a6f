import Foundation

extension MarketplaceService {
    /// Asks for a refund of an order, in the three phases.
    ///
    /// 1. In a transaction with the order locked: a `pending` refund row and the order
    ///    `refund_pending` (a second request gets `refund_in_progress`).
    /// 2. Outside it: the provider refund with `refund_id` and `Idempotency-Key` = the row id; its
    ///    id is stored and the refund stays `pending` whatever the answer says (the webhook decides).
    ///    A provider error fails the refund and puts the order back to `completed`, unless a read
    ///    back shows the provider has the refund after all.
    /// 3. The webhook (``MarketplaceEventProcessor/applyRefund(refundID:outcome:now:)``).
    ///
    /// - Parameter userID: The buyer or the seller (or an admin, `isAdmin`).
    /// - Throws: ``MarketplaceError``: `not_found`, `refund_in_progress`, `not_refundable`,
    ///   `refund_window_closed`, `payment_provider_unavailable`, `payment_provider_failed`.
    public func requestRefund(orderID: UUID, userID: UUID, isAdmin: Bool, now: Date = Date()) async throws -> Refund {
        let order = try await self.order(orderID, userID: userID, isAdmin: isAdmin)
        let provider = try self.processor.requireProvider()
        let window = self.refundWindow
        let refund = try await self.database.transaction { connection in
            guard let order = try await self.orders.find(order.id, lock: true, on: connection) else {
                throw MarketplaceError.refused(.notFound, "no such order")
            }
            if order.status == .refundPending {
                throw MarketplaceError.refused(.refundInProgress, "a refund of this order is in progress")
            }
            var machine = Order.StateMachine(status: order.status)
            guard case .transition(let from, let to, _) = machine.apply(.refundRequested), let paidAt = order.paidAt,
                order.paymentID != nil
            else {
                throw MarketplaceError.refused(.notRefundable, "only a paid order can be refunded")
            }
            guard now < paidAt.addingTimeInterval(Double(window.components.seconds)) else {
                throw MarketplaceError.refused(.refundWindowClosed, "the refund window of this order has passed")
            }
            let refund = Refund(
                id: UUID(),
                orderID: order.id,
                amountCents: order.amountCents,
                currency: order.currency,
                status: .pending,
                providerRefundID: nil,
                createdAt: now
            )
            try await self.refunds.insert(refund, on: connection)
            try await self.orders.transition(order.id, from: from, to: to, now: now, on: connection)
            return refund
        }
        let key = refund.id.lowercased
        let request = MarketplaceRefundRequest(
            refundID: key,
            paymentID: order.paymentID ?? "",
            amountMinor: order.amountCents
        )
        do {
            let answer = try await provider.createRefund(request, idempotencyKey: key)
            try await self.refunds.setProviderRefundID(refund.id, providerRefundID: answer.id, now: Date())
            var stored = refund
            stored.providerRefundID = answer.id
            self.logger.info(
                "refund requested",
                metadata: [
                    "refund.id": "\(key)", "order.id": "\(order.id.lowercased)", "refund.status": "\(answer.status)",
                ]
            )
            return stored
        } catch {
            // A lost answer to a refund the provider did make must not be failed here.
            if let existing = try? await provider.retrieveRefund(id: key) {
                try await self.refunds.setProviderRefundID(refund.id, providerRefundID: existing.id, now: Date())
                var stored = refund
                stored.providerRefundID = existing.id
                return stored
            }
            self.logger.error(
                "refund request failed at the provider; the order is completed again",
                metadata: ["refund.id": "\(key)", "order.id": "\(order.id.lowercased)", "error.message": "\(error)"]
            )
            _ = try await self.processor.applyRefund(refundID: refund.id, outcome: .failed)
            throw MarketplaceError.refused(.providerFailed, "the payment provider did not accept the refund; try again")
        }
    }
}
