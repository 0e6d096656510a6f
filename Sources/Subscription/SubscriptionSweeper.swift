import Database
import Foundation
import Logging
import ServiceLifecycle

/// Moves subscriptions whose time came: trial ends (→ pending_payment and the first payment),
/// period ends (renewal invoice and payment → past_due, a scheduled cancel → canceled, a
/// scheduled downgrade to free), and grace expiry (past_due → expired).
public struct SubscriptionSweeper: Service {
    let service: SubscriptionService
    let grace: Duration
    let interval: Duration
    let readiness: ReadinessGate
    let logger: Logger
    static let batch = 100

    public init(
        service: SubscriptionService,
        grace: Duration,
        interval: Duration,
        readiness: ReadinessGate,
        logger: Logger
    ) {
        self.service = service
        self.grace = grace
        self.interval = interval
        self.readiness = readiness
        self.logger = logger
    }

    /// One pass; returns how many subscriptions moved.
    @discardableResult
    public func sweepOnce(now: Date = Date()) async throws -> Int {
        let graceStartedBefore = now.addingTimeInterval(-Double(self.grace.components.seconds))
        let due = try await self.service.subscriptions.due(
            now: now,
            graceStartedBefore: graceStartedBefore,
            limit: Self.batch
        )
        var moved = 0
        for subscription in due {
            guard let event = try await self.event(for: subscription) else { continue }
            let applied = try await self.service.database.transaction { connection -> SubscriptionLedger.Applied? in
                // Re-read under the lock: a webhook or a user may have moved it since the query.
                guard
                    let locked = try await self.service.subscriptions.find(
                        id: subscription.id,
                        lock: true,
                        on: connection
                    ), locked.status == subscription.status, locked.updatedAt == subscription.updatedAt
                else { return nil }
                return try await self.service.ledger.apply(
                    event,
                    to: locked,
                    userID: locked.userID,
                    context: .init(),
                    now: now,
                    on: connection
                )
            }
            guard let applied else { continue }
            moved += 1
            self.logger.info(
                "subscription swept",
                metadata: [
                    "subscription.id": "\(subscription.id.uuidString.lowercased())",
                    "subscription.status": "\(applied.subscription.status.rawValue)",
                ]
            )
            if let invoice = applied.newInvoice {
                // A provider outage leaves the invoice unrequested; the reconciler asks again.
                _ = try? await self.service.requestPayment(for: invoice, subscriptionID: subscription.id)
            }
        }
        return moved
    }

    func event(for subscription: UserSubscription) async throws -> UserSubscription.StateMachine.Event? {
        switch subscription.status {
        case .trialing:
            return .trialEnded
        case .pastDue:
            return .graceExpired
        case .active:
            if subscription.isCancelScheduled { return .periodEnded(.cancel) }
            if let scheduled = subscription.scheduledPlanID, try await self.service.plan(scheduled).isFree {
                return .periodEnded(.downgradeToFree)
            }
            return .periodEnded(.renew)
        case .pendingPayment, .canceled, .expired:
            return nil
        }
    }

    public func run() async throws {
        let loop = PeriodicLoop(
            interval: self.interval,
            readiness: self.readiness,
            logger: self.logger,
            failureMessage: "subscription sweep failed"
        )
        await loop.run { try await self.sweepOnce() }
    }
}
