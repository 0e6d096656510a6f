import Foundation

/// Where a subscription is in its life; see ``UserSubscription/StateMachine``.
public enum SubscriptionStatus: String, Codable, Sendable, CaseIterable {
    /// A paid plan's free trial (once per user): no payment yet, the plan's features granted.
    case trialing
    /// Waiting for the provider to confirm the first payment: nothing granted.
    case pendingPayment = "pending_payment"
    /// Paid (or the free plan): the plan's features granted until the period end.
    case active
    /// The period ended and the renewal is not paid yet: granted until the grace runs out.
    case pastDue = "past_due"
    /// Canceled by the user (at the period end when one was paid): nothing granted.
    case canceled
    /// The first payment failed or the renewal was not paid within the grace: nothing granted.
    case expired

    /// The statuses a user can have at most one of (a unique index holds that).
    public static let live: [SubscriptionStatus] = [.trialing, .pendingPayment, .active, .pastDue]

    public var isLive: Bool { Self.live.contains(self) }
}

/// One user's subscription to one plan.
public struct UserSubscription: Codable, Sendable, Equatable, Identifiable {
    public var id: UUID
    public var userID: UUID
    public var planID: String
    public var billingCycle: BillingCycle
    public var status: SubscriptionStatus
    public var currentPeriodStart: Date?
    /// Nil for the free plan, trials and unpaid subscriptions.
    public var currentPeriodEnd: Date?
    public var trialEnd: Date?
    /// 1 when the user canceled: it stays active to the period end, then becomes canceled.
    public var cancelAtPeriodEnd: Int
    /// A downgrade (plan and cycle) that takes effect at the period end.
    public var scheduledPlanID: String?
    public var scheduledBillingCycle: BillingCycle?
    /// When the renewal became due (the start of the grace).
    public var pastDueSince: Date?
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id
        case userID = "user_id"
        case planID = "plan_id"
        case billingCycle = "billing_cycle"
        case status
        case currentPeriodStart = "current_period_start"
        case currentPeriodEnd = "current_period_end"
        case trialEnd = "trial_end"
        case cancelAtPeriodEnd = "cancel_at_period_end"
        case scheduledPlanID = "scheduled_plan_id"
        case scheduledBillingCycle = "scheduled_billing_cycle"
        case pastDueSince = "past_due_since"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    static let columns = """
        id, user_id, plan_id, billing_cycle, status, current_period_start, current_period_end, trial_end, \
        cancel_at_period_end, scheduled_plan_id, scheduled_billing_cycle, past_due_since, created_at, updated_at
        """

    public var isCancelScheduled: Bool { self.cancelAtPeriodEnd != 0 }
}
