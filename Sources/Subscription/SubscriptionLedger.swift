import Database
import Foundation
import SQLKit

/// Carries out the state machines' actions inside a caller's transaction: the one place that
/// turns an event into guarded updates of `subscriptions` and `invoices` and new invoices.
struct SubscriptionLedger: Sendable {
    let subscriptions: SubscriptionRepository
    let invoices: InvoiceRepository

    /// What the event is about, beyond the subscription itself.
    struct Context: Sendable {
        /// The invoice whose payment moved (payment events).
        var invoice: Invoice?
        /// The plan and cycle asked for (subscribe, change).
        var targetPlan: Plan?
        var targetCycle: BillingCycle?
    }

    /// The result of an applied event.
    struct Applied: Sendable {
        var subscription: UserSubscription
        /// An invoice created by the event: its payment is requested after the commit.
        var newInvoice: Invoice?
    }

    /// Applies `event` to `current` (nil: a new subscription for `userID`), locked by the caller.
    ///
    /// - Returns: nil when the machine rejects the event or another writer moved the row first.
    func apply(
        _ event: UserSubscription.StateMachine.Event,
        to current: UserSubscription?,
        userID: UUID,
        context: Context,
        now: Date,
        on connection: any SQLDatabase
    ) async throws -> Applied? {
        var machine = UserSubscription.StateMachine(status: current?.status)
        guard case .apply(let from, let to, let effects) = machine.apply(event) else { return nil }
        var next: UserSubscription
        if effects.contains(.createSubscription) {
            guard let plan = context.targetPlan, let cycle = context.targetCycle else { return nil }
            next = UserSubscription(
                id: UUID(),
                userID: userID,
                planID: plan.id,
                billingCycle: cycle,
                status: to,
                currentPeriodStart: nil,
                currentPeriodEnd: nil,
                trialEnd: to == .trialing ? now.addingTimeInterval(TimeInterval(plan.trialDays) * 86400) : nil,
                cancelAtPeriodEnd: 0,
                scheduledPlanID: nil,
                scheduledBillingCycle: nil,
                pastDueSince: nil,
                createdAt: now,
                updatedAt: now
            )
        } else {
            guard let current, from != nil else { return nil }
            next = current
            next.status = to
            next.updatedAt = now
        }
        var newInvoiceKind: InvoiceKind?
        var voidPending = false
        for effect in effects {
            switch effect {
            case .createSubscription:
                break
            case .createInvoice(let kind):
                newInvoiceKind = kind
            case .switchPlan:
                if let invoice = context.invoice {
                    next.planID = invoice.planID
                    next.billingCycle = invoice.billingCycle
                } else if let scheduled = next.scheduledPlanID {
                    next.planID = scheduled
                    next.billingCycle = next.scheduledBillingCycle ?? next.billingCycle
                }
                next.scheduledPlanID = nil
                next.scheduledBillingCycle = nil
            case .startPeriod:
                next.currentPeriodStart = now
                next.currentPeriodEnd = next.billingCycle.periodEnd(from: now)
                next.pastDueSince = nil
            case .renewPeriod:
                // Paid late but within the grace: the period still starts where the last ended.
                let start = next.currentPeriodEnd ?? now
                next.currentPeriodStart = start
                next.currentPeriodEnd = next.billingCycle.periodEnd(from: start)
                next.pastDueSince = nil
            case .clearPeriod:
                next.currentPeriodStart = nil
                next.currentPeriodEnd = nil
            case .scheduleCancel:
                next.cancelAtPeriodEnd = 1
            case .clearCancel:
                next.cancelAtPeriodEnd = 0
            case .scheduleChange:
                next.scheduledPlanID = context.targetPlan?.id
                next.scheduledBillingCycle = context.targetCycle
            case .voidPendingInvoices:
                voidPending = true
            case .startGrace:
                next.pastDueSince = now
            }
        }

        let written: UserSubscription
        if effects.contains(.createSubscription) {
            try await self.subscriptions.insert(next, on: connection)
            written = next
        } else {
            guard let from,
                let updated = try await self.subscriptions.transition(
                    next.id,
                    from: from,
                    to: to,
                    now: now,
                    set: Self.assignments(next),
                    on: connection
                )
            else { return nil }
            written = updated
        }
        if voidPending {
            try await self.voidPendingInvoices(of: written.id, now: now, on: connection)
        }
        var invoice: Invoice?
        if newInvoiceKind == .upgrade {
            // A second upgrade replaces the first: only the latest asked-for plan can be paid.
            for open in try await self.invoices.pending(subscriptionID: written.id, on: connection)
            where open.kind == .upgrade {
                _ = try await self.moveInvoice(open, .void, now: now, on: connection)
            }
        }
        if let kind = newInvoiceKind {
            invoice = try await self.createInvoice(kind, for: written, context: context, now: now, on: connection)
        }
        return Applied(subscription: written, newInvoice: invoice)
    }

    /// Every column an event may change besides the status (written under the status guard).
    static func assignments(_ s: UserSubscription) -> SQLQueryString {
        """
        plan_id = \(bind: s.planID), billing_cycle = \(bind: s.billingCycle.rawValue), \
        current_period_start = \(bind: s.currentPeriodStart), current_period_end = \(bind: s.currentPeriodEnd), \
        cancel_at_period_end = \(bind: s.cancelAtPeriodEnd), scheduled_plan_id = \(bind: s.scheduledPlanID), \
        scheduled_billing_cycle = \(bind: s.scheduledBillingCycle?.rawValue), past_due_since = \(bind: s.pastDueSince)
        """
    }

    func voidPendingInvoices(of subscriptionID: UUID, now: Date, on connection: any SQLDatabase) async throws {
        for invoice in try await self.invoices.pending(subscriptionID: subscriptionID, on: connection) {
            _ = try await self.moveInvoice(invoice, .void, now: now, on: connection)
        }
    }

    /// Applies an invoice event; nil when the machine rejects it or another writer was first.
    func moveInvoice(
        _ invoice: Invoice,
        _ event: Invoice.StateMachine.Event,
        now: Date,
        on connection: any SQLDatabase
    ) async throws -> Invoice? {
        var machine = Invoice.StateMachine(status: invoice.status)
        guard case .transition(let from, let to, let stamp) = machine.apply(event) else { return nil }
        return try await self.invoices.transition(
            invoice.id,
            from: from,
            to: to,
            now: now,
            stampPaidAt: stamp,
            on: connection
        )
    }

    /// A new pending invoice: what it buys depends on its kind.
    func createInvoice(
        _ kind: InvoiceKind,
        for subscription: UserSubscription,
        context: Context,
        now: Date,
        on connection: any SQLDatabase
    ) async throws -> Invoice? {
        let planID: String
        let cycle: BillingCycle
        switch kind {
        case .initial:
            (planID, cycle) = (subscription.planID, subscription.billingCycle)
        case .renewal:
            (planID, cycle) = (
                subscription.scheduledPlanID ?? subscription.planID,
                subscription.scheduledBillingCycle ?? subscription.billingCycle
            )
        case .upgrade:
            guard let plan = context.targetPlan else { return nil }
            (planID, cycle) = (plan.id, context.targetCycle ?? subscription.billingCycle)
        }
        guard let plan = try await self.subscriptions.plan(id: planID, on: connection), plan.price(cycle) > 0 else {
            return nil
        }
        let id = UUID()
        let earlier = try await connection.raw(
            "SELECT id FROM invoices WHERE subscription_id = \(bind: subscription.id) LIMIT 1"
        ).first()
        let invoice = Invoice(
            id: id,
            subscriptionID: subscription.id,
            userID: subscription.userID,
            kind: kind,
            planID: plan.id,
            billingCycle: cycle,
            amountCents: plan.price(cycle),
            currency: plan.currency,
            status: .pending,
            paymentID: "pay_" + id.uuidString.lowercased().replacingOccurrences(of: "-", with: ""),
            // The subscription's first payment is keyed by the subscription id (a retried subscribe
            // cannot make a second one); later payments by their own invoice.
            idempotencyKey: earlier == nil ? subscription.id.uuidString.lowercased() : id.uuidString.lowercased(),
            requestedAt: nil,
            paidAt: nil,
            createdAt: now,
            updatedAt: now
        )
        try await self.invoices.insert(invoice, on: connection)
        return invoice
    }
}
