import Database
import Foundation
import SQLKit

/// The one place any route asks whether a user may use a paid feature.
///
/// Granted by a live subscription only: `active` (paid, or the free plan, which has no features),
/// `trialing` (the trial a paid plan offers once), and `past_due` while the grace
/// (`SUBSCRIPTION_GRACE`) runs: the user paid for the period that just ended and the renewal is
/// being collected, so a card glitch does not cut them off at once; the sweep then expires the
/// subscription, and the gate itself stops granting at the grace's end even if the sweep is late.
/// `pending_payment`, `canceled` and `expired` grant nothing, nor does an unpaid upgrade.
public struct FeatureGate: Sendable {
    let database: DatabaseClient
    let grace: Duration

    public init(database: DatabaseClient, grace: Duration) {
        self.database = database
        self.grace = grace
    }

    /// Whether a subscription in `status` grants its plan's features at `now`.
    public static func grants(
        status: SubscriptionStatus,
        pastDueSince: Date?,
        now: Date,
        grace: Duration
    ) -> Bool {
        switch status {
        case .active, .trialing:
            return true
        case .pastDue:
            guard let since = pastDueSince else { return false }
            return now < since.addingTimeInterval(Double(grace.components.seconds))
        case .pendingPayment, .canceled, .expired:
            return false
        }
    }

    struct Row: Decodable {
        var status: String
        var past_due_since: Date?
        var features: String
    }

    /// The features the user has at `now`.
    public func features(userID: UUID, now: Date = Date()) async throws -> [Feature] {
        guard
            let row = try await self.database.sql.raw(
                """
                SELECT s.status, s.past_due_since, p.features FROM subscriptions s JOIN plans p ON p.id = s.plan_id
                WHERE s.user_id = \(bind: userID) AND s.status IN ('trialing', 'active', 'past_due')
                """
            ).first(decoding: Row.self),
            let status = SubscriptionStatus(rawValue: row.status),
            Self.grants(status: status, pastDueSince: row.past_due_since, now: now, grace: self.grace)
        else { return [] }
        return row.features.split(separator: ",").compactMap { Feature(rawValue: String($0)) }
    }

    /// Whether `userID` may use `feature` at `now`.
    public func can(_ userID: UUID, _ feature: Feature, now: Date = Date()) async throws -> Bool {
        try await self.features(userID: userID, now: now).contains(feature)
    }
}
