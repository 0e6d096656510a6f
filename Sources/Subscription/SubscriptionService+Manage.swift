import Foundation
import SQLKit

extension SubscriptionService {
    /// What `me/subscription` shows.
    public struct Overview: Sendable {
        public var subscription: UserSubscription?
        /// The live subscription waits for its first payment (`complete/{id}` resumes it).
        public var needsPayment: Bool
        public var features: [Feature]
    }

    public func overview(userID: UUID, gate: FeatureGate, now: Date = Date()) async throws -> Overview {
        let subscription = try await self.subscriptions.latest(userID: userID)
        return Overview(
            subscription: subscription,
            needsPayment: subscription?.status == .pendingPayment,
            features: try await gate.features(userID: userID, now: now)
        )
    }

    /// Changes plan or cycle of the live subscription: a higher plan (or any paid plan from free)
    /// is an upgrade, invoiced now and switched when paid; anything else waits for the period end.
    public func change(
        userID: UUID,
        planID: String?,
        cycle: BillingCycle?,
        now: Date = Date()
    ) async throws
        -> Checkout
    {
        guard let live = try await self.subscriptions.live(userID: userID) else { throw SubscriptionError.notFound }
        let current = try await self.plan(live.planID)
        let target = try await self.plan(planID ?? live.planID)
        let targetCycle = cycle ?? live.billingCycle
        guard target.id != current.id || targetCycle != live.billingCycle else {
            throw SubscriptionError(code: .noChange, message: "that is already your plan and billing cycle")
        }
        let upgrade = target.rank > current.rank || (current.isFree && !target.isFree)
        if upgrade && self.provider == nil { throw SubscriptionError.providerUnavailable }
        let applied = try await self.database.transaction { connection -> SubscriptionLedger.Applied? in
            let locked = try await self.subscriptions.find(id: live.id, lock: true, on: connection)
            return try await self.ledger.apply(
                .change(upgrade ? .upgrade : .scheduled),
                to: locked,
                userID: userID,
                context: .init(targetPlan: target, targetCycle: targetCycle),
                now: now,
                on: connection
            )
        }
        guard let applied else {
            throw SubscriptionError.invalidState(
                "a \(live.status.rawValue) subscription cannot change plan; it must be active"
            )
        }
        var payment: PaymentHandle?
        if let invoice = applied.newInvoice {
            payment = try await self.requestPayment(for: invoice, subscriptionID: applied.subscription.id)
        }
        return Checkout(subscription: applied.subscription, payment: payment, created: true)
    }

    /// Resumes a stalled checkout of the caller's `pending_payment` subscription.
    public func complete(userID: UUID, subscriptionID: UUID) async throws -> PaymentHandle {
        guard let subscription = try await self.subscriptions.find(id: subscriptionID),
            subscription.userID == userID
        else { throw SubscriptionError.notFound }
        guard subscription.status == .pendingPayment else {
            throw SubscriptionError.invalidState(
                "the subscription is \(subscription.status.rawValue); only a pending_payment one can be completed"
            )
        }
        return try await self.resumePayment(of: subscription)
    }

    /// Cancels the live subscription: a paid period runs out first; anything else ends now.
    public func cancel(userID: UUID, now: Date = Date()) async throws -> UserSubscription {
        try await self.manage(userID: userID, now: now) { live in
            .cancel(paidPeriod: live.status == .active && live.currentPeriodEnd != nil)
        }
    }

    /// Takes back a cancel scheduled for the period end.
    public func reactivate(userID: UUID, now: Date = Date()) async throws -> UserSubscription {
        try await self.manage(userID: userID, now: now) { live in
            .reactivate(cancelScheduled: live.isCancelScheduled)
        }
    }

    private func manage(
        userID: UUID,
        now: Date,
        _ event: @escaping @Sendable (UserSubscription) -> UserSubscription.StateMachine.Event
    ) async throws -> UserSubscription {
        guard let live = try await self.subscriptions.live(userID: userID) else { throw SubscriptionError.notFound }
        let applied = try await self.database.transaction { connection -> SubscriptionLedger.Applied? in
            guard let locked = try await self.subscriptions.find(id: live.id, lock: true, on: connection) else {
                return nil
            }
            return try await self.ledger.apply(
                event(locked),
                to: locked,
                userID: userID,
                context: .init(),
                now: now,
                on: connection
            )
        }
        guard let applied else {
            throw SubscriptionError.invalidState("that does not apply to a \(live.status.rawValue) subscription")
        }
        return applied.subscription
    }

    /// Whether the user may send tracks to distribution, with a reason they can act on.
    public func distributionEligibility(
        userID: UUID,
        gate: FeatureGate,
        now: Date = Date()
    ) async throws
        -> (eligible: Bool, reason: String)
    {
        if try await gate.can(userID, .distribution, now: now) { return (true, "eligible") }
        if try await self.subscriptions.live(userID: userID)?.status == .pendingPayment {
            return (false, "complete payment to enable distribution")
        }
        return (false, "requires the Creator or Premium plan")
    }
}
