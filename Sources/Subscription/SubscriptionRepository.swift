import Database
import Foundation
import SQLKit

/// SQL for `subscriptions`, `trial_claims` and `plans`. Status changes only through
/// ``transition(_:from:to:now:set:on:)``.
struct SubscriptionRepository: Sendable {
    let database: DatabaseClient

    func plans() async throws -> [Plan] {
        try await self.database.sql.raw(
            "SELECT id, name, currency, monthly_cents, yearly_cents, trial_days, features, rank FROM plans ORDER BY rank"
        ).all(decoding: PlanRow.self).map(\.plan)
    }

    func plan(id: String, on connection: (any SQLDatabase)? = nil) async throws -> Plan? {
        try await (connection ?? self.database.sql).raw(
            """
            SELECT id, name, currency, monthly_cents, yearly_cents, trial_days, features, rank FROM plans
            WHERE id = \(bind: id)
            """
        ).first(decoding: PlanRow.self)?.plan
    }

    func insert(_ subscription: UserSubscription, on connection: any SQLDatabase) async throws {
        let s = subscription
        try await connection.raw(
            """
            INSERT INTO subscriptions (\(unsafeRaw: UserSubscription.columns)) VALUES (
                \(bind: s.id), \(bind: s.userID), \(bind: s.planID), \(bind: s.billingCycle.rawValue),
                \(bind: s.status.rawValue), \(bind: s.currentPeriodStart), \(bind: s.currentPeriodEnd),
                \(bind: s.trialEnd), \(bind: s.cancelAtPeriodEnd), \(bind: s.scheduledPlanID),
                \(bind: s.scheduledBillingCycle?.rawValue), \(bind: s.pastDueSince), \(bind: s.createdAt),
                \(bind: s.updatedAt))
            """
        ).run()
    }

    /// Claims the user's one trial; false when it was claimed before.
    func claimTrial(userID: UUID, subscriptionID: UUID, now: Date, on connection: any SQLDatabase) async throws -> Bool
    {
        let row = try await connection.raw(
            """
            INSERT INTO trial_claims (user_id, subscription_id, claimed_at)
            VALUES (\(bind: userID), \(bind: subscriptionID), \(bind: now))
            ON CONFLICT (user_id) DO NOTHING RETURNING user_id
            """
        ).first()
        return row != nil
    }

    func hasClaimedTrial(userID: UUID, on connection: (any SQLDatabase)? = nil) async throws -> Bool {
        try await (connection ?? self.database.sql).raw(
            "SELECT user_id FROM trial_claims WHERE user_id = \(bind: userID)"
        ).first() != nil
    }

    private func lockSuffix(_ lock: Bool) -> String {
        lock && self.database.kind == .postgres ? " FOR UPDATE" : ""
    }

    /// Reads a subscription; with `lock`, inside a transaction, holds its row (`FOR UPDATE` on
    /// PostgreSQL; SQLite's `BEGIN IMMEDIATE` already holds the write lock).
    func find(id: UUID, lock: Bool = false, on connection: (any SQLDatabase)? = nil) async throws -> UserSubscription? {
        try await (connection ?? self.database.sql).raw(
            """
            SELECT \(unsafeRaw: UserSubscription.columns) FROM subscriptions WHERE id = \(bind: id)\
            \(unsafeRaw: self.lockSuffix(lock))
            """
        ).first(decoding: UserSubscription.self)
    }

    /// The user's live subscription (at most one, by the unique index), if any.
    func live(
        userID: UUID,
        lock: Bool = false,
        on connection: (any SQLDatabase)? = nil
    ) async throws
        -> UserSubscription?
    {
        try await (connection ?? self.database.sql).raw(
            """
            SELECT \(unsafeRaw: UserSubscription.columns) FROM subscriptions
            WHERE user_id = \(bind: userID)
              AND status IN ('trialing', 'pending_payment', 'active', 'past_due')\(unsafeRaw: self.lockSuffix(lock))
            """
        ).first(decoding: UserSubscription.self)
    }

    /// The user's most recent subscription of any status (what `me/subscription` shows).
    func latest(userID: UUID, on connection: (any SQLDatabase)? = nil) async throws -> UserSubscription? {
        try await (connection ?? self.database.sql).raw(
            """
            SELECT \(unsafeRaw: UserSubscription.columns) FROM subscriptions
            WHERE user_id = \(bind: userID) ORDER BY created_at DESC LIMIT 1
            """
        ).first(decoding: UserSubscription.self)
    }

    /// Subscriptions the period sweep must move at `now`, oldest first.
    func due(now: Date, graceStartedBefore: Date, limit: Int) async throws -> [UserSubscription] {
        try await self.database.sql.raw(
            """
            SELECT \(unsafeRaw: UserSubscription.columns) FROM subscriptions
            WHERE (status = 'trialing' AND trial_end <= \(bind: now))
               OR (status = 'active' AND current_period_end IS NOT NULL AND current_period_end <= \(bind: now))
               OR (status = 'past_due' AND past_due_since <= \(bind: graceStartedBefore))
            ORDER BY updated_at LIMIT \(bind: limit)
            """
        ).all(decoding: UserSubscription.self)
    }

    /// The guarded change: `UPDATE … WHERE id AND status = from RETURNING`, with extra assignments.
    /// `from == to` still guards (a change of period or schedule while the status stays).
    ///
    /// - Returns: The updated row, or nil when it was not in `from` (someone moved it first).
    func transition(
        _ id: UUID,
        from: SubscriptionStatus,
        to: SubscriptionStatus,
        now: Date,
        set assignments: SQLQueryString? = nil,
        on connection: any SQLDatabase
    ) async throws -> UserSubscription? {
        var extra: SQLQueryString = ""
        if let assignments { extra = ", \(assignments)" }
        return try await connection.raw(
            """
            UPDATE subscriptions SET status = \(bind: to.rawValue), updated_at = \(bind: now)\(extra)
            WHERE id = \(bind: id) AND status = \(bind: from.rawValue)
            RETURNING \(unsafeRaw: UserSubscription.columns)
            """
        ).first(decoding: UserSubscription.self)
    }
}
