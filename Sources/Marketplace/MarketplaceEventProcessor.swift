import Database
import Foundation
import Logging
import SQLKit

/// Applies provider events to orders and refunds: webhooks, the reconciler's synthetic events and
/// phase 2's provider errors take this one path.
///
/// An event is a hint: the payment or refund is read back from the provider before anything moves
/// (a stale `payment_failed` cannot undo a success). Each change runs in one transaction with the
/// order row locked (PostgreSQL `FOR UPDATE`; SQLite's `BEGIN IMMEDIATE` takes the write lock) and
/// goes through the state machine and its guarded update, so a duplicate or concurrent delivery
/// finds the order moved already and changes nothing.
///
/// A late `payment_succeeded` on a `failed` order is honoured (the money was taken): the order
/// completes with its licence, credit and transfer. The one exception is an exclusive licence
/// sold to someone else in the meantime: that order stays `failed`, an error is logged, and an
/// operator refunds the payment by hand.
public struct MarketplaceEventProcessor: Sendable {
    let database: DatabaseClient
    let orders: OrderRepository
    let refunds: RefundRepository
    let grants: LicenceGrantRepository
    let products: ProductRepository
    let transfers: TransferRepository
    let balances: BalanceRepository
    let provider: (any MarketplacePaymentProvider)?
    /// Pays out the transfer a payment's commit wrote (nil: the retry worker will).
    let payouts: (any PayoutStarter)?
    /// `PLATFORM_FEE_PERCENT`: kept by the platform from each sale.
    let feePercent: Int
    let logger: Logger

    public init(
        database: DatabaseClient,
        provider: (any MarketplacePaymentProvider)?,
        payouts: (any PayoutStarter)?,
        feePercent: Int = 10,
        logger: Logger
    ) {
        self.database = database
        self.orders = OrderRepository(database: database)
        self.refunds = RefundRepository(database: database)
        self.grants = LicenceGrantRepository(database: database)
        self.products = ProductRepository(database: database)
        self.transfers = TransferRepository(database: database)
        self.balances = BalanceRepository(database: database)
        self.provider = provider
        self.payouts = payouts
        self.feePercent = min(max(feePercent, 0), 100)
        self.logger = logger
    }

    /// What became of an event.
    public enum Outcome: Sendable, Equatable {
        /// No order or refund of ours has this id.
        case notMine
        /// Ours, but nothing to do: already applied (a duplicate), not final yet, or refused.
        case unchanged
        /// The order or refund moved.
        case applied
    }

    /// The seller's share of `amount`: the price less the platform fee (rounded in the seller's favour).
    public func sellerShare(of amount: Int64) -> Int64 {
        amount - amount * Int64(self.feePercent) / 100
    }

    func requireProvider() throws -> any MarketplacePaymentProvider {
        guard let provider = self.provider else {
            throw MarketplaceError.refused(.providerUnavailable, "no payment provider is configured")
        }
        return provider
    }

    // MARK: - Payments

    /// A payment event about `paymentID`: reads the payment back, then applies it.
    ///
    /// - Throws: When the provider cannot be read or the write fails (the webhook answers 5xx).
    public func processPayment(paymentID: String) async throws -> Outcome {
        guard let order = try await self.orders.find(paymentID: paymentID) else { return .notMine }
        let payment = try await self.requireProvider().retrievePayment(id: paymentID)
        return try await self.applyPayment(orderID: order.id, payment: payment)
    }

    /// Applies a payment state read from the provider to its order; after the commit, a new
    /// seller transfer is sent to Stripe.
    public func applyPayment(
        orderID: UUID,
        payment: MarketplaceProviderPayment,
        now: Date = Date()
    ) async throws
        -> Outcome
    {
        let (outcome, transferID) = try await self.database.transaction { connection -> (Outcome, UUID?) in
            guard let order = try await self.orders.find(orderID, lock: true, on: connection) else {
                return (.notMine, nil)
            }
            let event: Order.StateMachine.Event
            switch payment.outcome {
            case .pending:
                return (.unchanged, nil)
            case .succeeded where !payment.pays(order.amountCents, in: order.currency):
                self.logger.error(
                    "provider reports a different amount or currency; the order is left for an operator",
                    metadata: self.metadata(order, payment: payment)
                )
                return (.unchanged, nil)
            case .succeeded:
                event = .paymentSucceeded
            case .failed:
                event = .paymentFailed
            }
            if event == .paymentSucceeded, order.status == .failed, order.licenceKind == .exclusive,
                try await self.exclusiveTaken(order, on: connection)
            {
                self.logger.error(
                    "late payment for an exclusive licence sold to someone else; refund it by hand",
                    metadata: self.metadata(order, payment: payment)
                )
                return (.unchanged, nil)
            }
            let moved = try await self.move(order, event, now: now, on: connection)
            if moved.applied { self.logger.info("order moved", metadata: self.metadata(order, payment: payment)) }
            return (moved.applied ? .applied : .unchanged, moved.transferID)
        }
        if let transferID, let payouts = self.payouts { await payouts.start(transferID) }
        return outcome
    }

    /// Whether another order holds the product's exclusive licence (pending, paid or being refunded).
    func exclusiveTaken(_ order: Order, on connection: any SQLDatabase) async throws -> Bool {
        try await connection.raw(
            """
            SELECT id FROM marketplace_orders WHERE product_id = \(bind: order.productID) AND id <> \(bind: order.id)
            AND licence_kind = 'exclusive' AND status IN ('pending', 'completed', 'refund_pending') LIMIT 1
            """
        ).first() != nil
    }

    // MARK: - Refunds

    /// A refund event about `refundID` (our refund row id): reads the refund back, then applies it.
    public func processRefund(refundID: String) async throws -> Outcome {
        guard let id = UUID(uuidString: refundID), let refund = try await self.refunds.find(id) else {
            return .notMine
        }
        let answer = try await self.requireProvider().retrieveRefund(id: refund.providerRefundID ?? refundID)
        return try await self.applyRefund(refundID: refund.id, outcome: answer.outcome)
    }

    /// Applies a refund's outcome (phase 3, or a failure of phase 2, or an orphan): the refund
    /// and its order move together in one transaction; a terminal refund changes nothing.
    public func applyRefund(refundID: UUID, outcome: ProviderOutcome, now: Date = Date()) async throws -> Outcome {
        let event: Refund.StateMachine.Event
        switch outcome {
        case .pending: return .unchanged
        case .succeeded: event = .succeeded
        case .failed: event = .failed
        }
        guard let found = try await self.refunds.find(refundID) else { return .notMine }
        return try await self.database.transaction { connection in
            // The order first, as phase 1 locks it: the two never wait on each other in reverse.
            guard let order = try await self.orders.find(found.orderID, lock: true, on: connection),
                let refund = try await self.refunds.find(refundID, lock: true, on: connection)
            else { return .notMine }
            var machine = Refund.StateMachine(status: refund.status)
            switch machine.apply(event) {
            case .reject:
                return .unchanged
            case .transition(let from, let to, let orderEvent):
                try await self.refunds.transition(refund.id, from: from, to: to, now: now, on: connection)
                let moved = try await self.move(order, orderEvent, now: now, on: connection)
                if !moved.applied {
                    self.logger.error(
                        "refund settled for an order in an unexpected state",
                        metadata: ["refund.id": "\(refund.id.lowercased)", "order.status": "\(order.status.rawValue)"]
                    )
                }
                self.logger.info(
                    "refund settled",
                    metadata: [
                        "refund.id": "\(refund.id.lowercased)", "order.id": "\(order.id.lowercased)",
                        "refund.status": "\(to.rawValue)",
                    ]
                )
                return .applied
            }
        }
    }

    // MARK: - The order's one path

    /// Applies `event` to `order` through its state machine: the guarded status write and the
    /// effects, on `connection` (inside the caller's transaction).
    ///
    /// - Returns: Whether it moved, and the transfer row to send after the commit.
    func move(
        _ order: Order,
        _ event: Order.StateMachine.Event,
        now: Date,
        on connection: any SQLDatabase
    )
        async throws -> (applied: Bool, transferID: UUID?)
    {
        var machine = Order.StateMachine(status: order.status)
        guard case .transition(let from, let to, let effects) = machine.apply(event) else { return (false, nil) }
        try await self.orders.transition(
            order.id,
            from: from,
            to: to,
            paidAt: to == .completed && order.paidAt == nil ? now : nil,
            now: now,
            on: connection
        )
        let share = self.sellerShare(of: order.amountCents)
        var transferID: UUID?
        for effect in effects {
            switch effect {
            case .grantLicence:
                guard let product = try await self.products.find(order.productID, on: connection) else {
                    throw MarketplaceError.refused(.notFound, "the order's product is missing")
                }
                try await self.grants.grant(order: order, trackID: product.trackID, now: now, on: connection)
            case .creditSeller:
                try await self.balances.credit(
                    sellerID: order.sellerID,
                    currency: order.currency,
                    amountCents: share,
                    now: now,
                    on: connection
                )
            case .createTransfer:
                guard share > 0 else { continue }
                let transfer = SellerTransfer(
                    id: UUID(),
                    orderID: order.id,
                    sellerID: order.sellerID,
                    amountCents: share,
                    currency: order.currency,
                    now: now
                )
                try await self.transfers.insert(transfer, on: connection)
                transferID = transfer.id
            case .unlistIfExclusive:
                if order.licenceKind == .exclusive {
                    try await self.products.unlist(order.productID, now: now, on: connection)
                }
            case .revokeLicence:
                try await self.grants.revoke(orderID: order.id, now: now, on: connection)
            case .debitSeller:
                try await self.balances.debitClamped(
                    sellerID: order.sellerID,
                    currency: order.currency,
                    amountCents: share,
                    now: now,
                    on: connection
                )
            case .reverseTransfers:
                try await self.reverseTransfers(of: order, now: now, on: connection)
            }
        }
        return (true, transferID)
    }

    /// Every completed transfer of the order → `reversal_pending`, due now; a `failed` one (never
    /// paid out) → `permanently_failed`, so the retry worker does not pay a refunded order.
    func reverseTransfers(of order: Order, now: Date, on connection: any SQLDatabase) async throws {
        for transfer in try await self.transfers.forOrder(order.id, lock: true, on: connection) {
            switch transfer.status {
            case .completed:
                try await self.transfers.transition(
                    transfer.id,
                    from: .completed,
                    to: .reversalPending,
                    changes: .init(retryCount: 0, nextRetryAt: .some(now)),
                    now: now,
                    on: connection
                )
            case .failed:
                try await self.transfers.transition(
                    transfer.id,
                    from: .failed,
                    to: .permanentlyFailed,
                    changes: .init(lastError: .some("the order was refunded before the payout")),
                    now: now,
                    on: connection
                )
            case .pending:
                self.logger.error(
                    "order refunded while its transfer is in flight; an operator reverses it",
                    metadata: ["transfer.id": "\(transfer.id.lowercased)", "order.id": "\(order.id.lowercased)"]
                )
            case .reversalPending, .reversed, .permanentlyFailed:
                continue
            }
        }
    }

    func metadata(_ order: Order, payment: MarketplaceProviderPayment) -> Logger.Metadata {
        [
            "order.id": "\(order.id.lowercased)", "order.status": "\(order.status.rawValue)",
            "payment.id": "\(payment.id)", "payment.status": "\(payment.status)",
        ]
    }
}

extension MarketplaceEventProcessor {
    /// Fails an order whose payment never came to exist (the provider refused to create it, or
    /// the process died before asking): through the state machine like every other move.
    func failUnpaid(orderID: UUID, now: Date = Date()) async throws {
        try await self.database.transaction { connection in
            guard let order = try await self.orders.find(orderID, lock: true, on: connection) else { return }
            _ = try await self.move(order, .paymentFailed, now: now, on: connection)
        }
    }
}
