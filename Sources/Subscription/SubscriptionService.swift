import Database
import Foundation
import Logging
import SQLKit

/// Plans, subscribing, changing, canceling: what the HTTP routes call. Every status change goes
/// through the state machines (``SubscriptionLedger``) inside a transaction; provider calls happen
/// after the commit, keyed so that a retry never makes a second payment.
public struct SubscriptionService: Sendable {
    let database: DatabaseClient
    let subscriptions: SubscriptionRepository
    let invoices: InvoiceRepository
    let ledger: SubscriptionLedger
    /// Nil when no provider is configured: paid plans then answer `payment_provider_unavailable`.
    let provider: (any SubscriptionPaymentProvider)?
    let logger: Logger

    public init(database: DatabaseClient, provider: (any SubscriptionPaymentProvider)?, logger: Logger) {
        self.database = database
        self.subscriptions = SubscriptionRepository(database: database)
        self.invoices = InvoiceRepository(database: database)
        self.ledger = SubscriptionLedger(subscriptions: self.subscriptions, invoices: self.invoices)
        self.provider = provider
        self.logger = logger
    }

    /// A payment the client completes with the provider's SDK.
    public struct PaymentHandle: Sendable, Equatable {
        public var paymentID: String
        public var clientSecret: String?
    }

    /// A subscription and, when one was asked for, its payment.
    public struct Checkout: Sendable {
        public var subscription: UserSubscription
        public var payment: PaymentHandle?
        /// False when an earlier identical request already created it (a retried subscribe).
        public var created: Bool
    }

    public func plans() async throws -> [Plan] {
        try await self.subscriptions.plans()
    }

    func plan(_ id: String) async throws -> Plan {
        guard let plan = try await self.subscriptions.plan(id: id) else { throw SubscriptionError.unknownPlan(id) }
        return plan
    }

    /// Subscribes `userID` to a plan: free → active; a paid plan with its trial unused → trialing;
    /// otherwise pending_payment with an invoice and a provider payment keyed by the subscription id.
    ///
    /// A retry of the same request while that checkout is pending answers the same subscription
    /// and payment; any other live subscription answers ``SubscriptionError/alreadySubscribed``.
    public func subscribe(
        userID: UUID,
        planID: String,
        cycle: BillingCycle,
        now: Date = Date()
    ) async throws
        -> Checkout
    {
        let plan = try await self.plan(planID)
        // Trials included: a trial ends in a payment, so it needs a provider too.
        if !plan.isFree && self.provider == nil { throw SubscriptionError.providerUnavailable }
        if let live = try await self.subscriptions.live(userID: userID) {
            guard live.status == .pendingPayment, live.planID == plan.id, live.billingCycle == cycle else {
                throw SubscriptionError.alreadySubscribed
            }
            return Checkout(subscription: live, payment: try await self.resumePayment(of: live), created: false)
        }
        let trialClaimed = try await self.subscriptions.hasClaimedTrial(userID: userID)
        let trialUnused = plan.trialDays > 0 && !trialClaimed
        let kind: UserSubscription.StateMachine.SubscribeKind = plan.isFree ? .free : trialUnused ? .trial : .paid
        let applied: SubscriptionLedger.Applied
        do {
            applied = try await self.database.transaction { connection in
                let current = try await self.subscriptions.latest(userID: userID, on: connection)
                guard
                    let applied = try await self.ledger.apply(
                        .subscribe(kind),
                        to: current,
                        userID: userID,
                        context: .init(targetPlan: plan, targetCycle: cycle),
                        now: now,
                        on: connection
                    )
                else { throw SubscriptionError.alreadySubscribed }
                if kind == .trial {
                    let claimed = try await self.subscriptions.claimTrial(
                        userID: userID,
                        subscriptionID: applied.subscription.id,
                        now: now,
                        on: connection
                    )
                    // Another request claimed the trial in between: roll the row back.
                    guard claimed else { throw SubscriptionError.alreadySubscribed }
                }
                return applied
            }
        } catch let error as SubscriptionError {
            throw error
        } catch {
            // The unique "one live subscription per user" index refused a concurrent twin.
            if try await self.subscriptions.live(userID: userID) != nil { throw SubscriptionError.alreadySubscribed }
            throw error
        }
        self.logger.info(
            "subscription created",
            metadata: [
                "subscription.id": "\(applied.subscription.id.uuidString.lowercased())",
                "subscription.plan": "\(plan.id)", "subscription.status": "\(applied.subscription.status.rawValue)",
            ]
        )
        var payment: PaymentHandle?
        if let invoice = applied.newInvoice {
            payment = try await self.requestPayment(for: invoice, subscriptionID: applied.subscription.id)
        }
        return Checkout(subscription: applied.subscription, payment: payment, created: true)
    }

    /// Asks the provider for an invoice's payment (idempotent: same key, same `payment_id`).
    func requestPayment(for invoice: Invoice, subscriptionID: UUID) async throws -> PaymentHandle {
        guard let provider = self.provider else { throw SubscriptionError.providerUnavailable }
        // Sent to the provider (and echoed in its webhooks), so an operator can find our rows.
        let providerTags = [
            "kind": "subscription",
            "subscription_id": subscriptionID.uuidString.lowercased(),
            "invoice_id": invoice.id.uuidString.lowercased(),
        ]
        let payment: SubscriptionProviderPayment
        do {
            payment = try await provider.createPayment(
                SubscriptionPaymentRequest(
                    paymentID: invoice.paymentID,
                    amountMinor: invoice.amountCents,
                    currency: invoice.currency.uppercased(),
                    customerID: invoice.userID.uuidString.lowercased(),
                    metadata: providerTags
                ),
                idempotencyKey: invoice.idempotencyKey
            )
        } catch {
            self.logger.warning(
                "payment request failed; the invoice stays pending for a retry or the reconciler",
                metadata: [
                    "subscription.id": "\(subscriptionID.uuidString.lowercased())",
                    "invoice.id": "\(invoice.id.uuidString.lowercased())", "error.message": "\(error)",
                ]
            )
            throw SubscriptionError.providerFailed(subscriptionID.uuidString.lowercased())
        }
        try await self.invoices.markRequested(invoice.id, now: Date())
        return PaymentHandle(paymentID: payment.id, clientSecret: payment.clientSecret)
    }

    /// The payment of a pending checkout, for a client that lost it: the same payment while it can
    /// still be paid; a new invoice and payment only once the provider says the old one is over.
    func resumePayment(of subscription: UserSubscription) async throws -> PaymentHandle {
        guard let provider = self.provider else { throw SubscriptionError.providerUnavailable }
        guard let invoice = try await self.invoices.pending(subscriptionID: subscription.id).first else {
            throw SubscriptionError.invalidState("this subscription has no payment waiting")
        }
        let subscriptionID = subscription.id.uuidString.lowercased()
        guard invoice.requestedAt != nil else {
            return try await self.requestPayment(for: invoice, subscriptionID: subscription.id)
        }
        let current: SubscriptionProviderPayment
        do {
            current = try await provider.retrievePayment(id: invoice.paymentID)
        } catch {
            throw SubscriptionError.providerFailed(subscriptionID)
        }
        switch current.outcome {
        case .pending:
            return PaymentHandle(paymentID: current.id, clientSecret: current.clientSecret)
        case .succeeded:
            throw SubscriptionError.invalidState("this payment has succeeded; the subscription activates shortly")
        case .failed:
            let now = Date()
            let replacement = try await self.database.transaction { connection -> Invoice? in
                guard
                    let locked = try await self.invoices.find(paymentID: invoice.paymentID, lock: true, on: connection),
                    try await self.ledger.moveInvoice(locked, .paymentFailed, now: now, on: connection) != nil
                else { return nil }
                return try await self.ledger.createInvoice(
                    invoice.kind,
                    for: subscription,
                    context: .init(),
                    now: now,
                    on: connection
                )
            }
            guard let replacement else { throw SubscriptionError.invalidState("the payment changed; retry") }
            return try await self.requestPayment(for: replacement, subscriptionID: subscription.id)
        }
    }
}
