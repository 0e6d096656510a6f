import Database
import Foundation
import Logging
import SQLKit

/// Applies provider payment events to invoices and subscriptions: webhooks and the reconciler's
/// synthetic events take this one path.
///
/// An event is a hint: the payment's state is read back from the provider before anything moves
/// (a stale or reordered `payment_failed` cannot undo a success), the event id is recorded in the
/// same transaction as the changes (a redelivery changes nothing), and every change is a guarded
/// update, so concurrent deliveries apply once.
public struct PaymentEventProcessor: Sendable {
    let database: DatabaseClient
    let ledger: SubscriptionLedger
    let events: WebhookEventLog
    let provider: (any SubscriptionPaymentProvider)?
    let logger: Logger

    public init(database: DatabaseClient, provider: (any SubscriptionPaymentProvider)?, logger: Logger) {
        self.database = database
        self.ledger = SubscriptionLedger(
            subscriptions: SubscriptionRepository(database: database),
            invoices: InvoiceRepository(database: database)
        )
        self.events = WebhookEventLog(database: database)
        self.provider = provider
        self.logger = logger
    }

    /// Whether a provider is configured (without one, paid plans and webhooks are unavailable).
    public var hasProvider: Bool { self.provider != nil }

    /// What became of an event.
    public enum Outcome: Sendable, Equatable {
        /// Recorded before: nothing done.
        case duplicate
        /// No invoice has this payment: another processor's (the marketplace's), or unknown.
        case notMine
        /// Recorded; the invoice (and maybe the subscription) moved, or the payment is not final yet.
        case applied
    }

    /// Handles a provider event about `paymentID`: reads the payment back, then applies it.
    ///
    /// - Throws: When the provider cannot be read (the webhook answers 5xx and is redelivered).
    public func process(eventID: String, eventType: String, paymentID: String) async throws -> Outcome {
        if try await self.events.contains(eventID: eventID) { return .duplicate }
        guard try await self.ledger.invoices.find(paymentID: paymentID) != nil else { return .notMine }
        guard let provider = self.provider else { throw SubscriptionError.providerUnavailable }
        let payment = try await provider.retrievePayment(id: paymentID)
        return try await self.apply(eventID: eventID, eventType: eventType, payment: payment)
    }

    /// Applies a payment state read from the provider, once per `eventID`.
    public func apply(
        eventID: String,
        eventType: String,
        payment: SubscriptionProviderPayment,
        now: Date = Date()
    ) async throws -> Outcome {
        try await self.database.transaction { connection in
            guard let invoice = try await self.ledger.invoices.find(paymentID: payment.id, lock: true, on: connection)
            else { return .notMine }
            guard
                try await self.events.record(
                    eventID: eventID,
                    eventType: eventType,
                    objectID: payment.id,
                    handledBy: "subscription",
                    now: now,
                    on: connection
                )
            else { return .duplicate }
            let invoiceEvent: Invoice.StateMachine.Event
            switch payment.outcome {
            case .pending:
                return .applied
            case .succeeded where payment.amountMinor != invoice.amountCents:
                self.logger.error(
                    "provider reports a different amount; the invoice is left pending for an operator",
                    metadata: self.metadata(invoice, payment)
                )
                return .applied
            case .succeeded:
                invoiceEvent = .paymentSucceeded
            case .failed:
                invoiceEvent = .paymentFailed
            }
            guard let moved = try await self.ledger.moveInvoice(invoice, invoiceEvent, now: now, on: connection) else {
                return .applied
            }
            let subscription = try await self.ledger.subscriptions.find(
                id: invoice.subscriptionID,
                lock: true,
                on: connection
            )
            let event: UserSubscription.StateMachine.Event =
                payment.outcome == .succeeded ? .paymentSucceeded(invoice.kind) : .paymentFailed(invoice.kind)
            let applied = try await self.ledger.apply(
                event,
                to: subscription,
                userID: invoice.userID,
                context: .init(invoice: moved),
                now: now,
                on: connection
            )
            if applied == nil {
                // A newer subscription or an admin moved it on: the invoice still records the payment.
                self.logger.warning(
                    "payment recorded for a subscription that has moved on",
                    metadata: self.metadata(invoice, payment).merging(
                        ["subscription.status": "\(subscription?.status.rawValue ?? "missing")"],
                        uniquingKeysWith: { $1 }
                    )
                )
            } else {
                self.logger.info("payment applied", metadata: self.metadata(invoice, payment))
            }
            return .applied
        }
    }

    func metadata(_ invoice: Invoice, _ payment: SubscriptionProviderPayment) -> Logger.Metadata {
        [
            "subscription.id": "\(invoice.subscriptionID.uuidString.lowercased())",
            "invoice.id": "\(invoice.id.uuidString.lowercased())", "payment.id": "\(payment.id)",
            "payment.status": "\(payment.status)",
        ]
    }
}
