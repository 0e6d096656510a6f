import Database
import Foundation
import HummingbirdTesting
import SQLKit
import Subscription
import TestSupport
import Testing

@testable import StreamServer

/// Plan changes, renewals, grace and cancellation over time: the sweep is run at chosen instants.
@Suite("Subscription lifecycle")
struct LifecycleTests {
    typealias M = MoneyTestApp

    struct Row: Decodable {
        var plan_id: String
        var status: String
        var current_period_end: Date?
        var scheduled_plan_id: String?
        var cancel_at_period_end: Int
    }

    static func row(_ components: AppServices, _ user: M.Caller) async throws -> Row {
        try #require(
            try await components.database.sql.raw(
                """
                SELECT plan_id, status, current_period_end, scheduled_plan_id, cancel_at_period_end FROM subscriptions
                WHERE user_id = \(bind: user.id) ORDER BY created_at DESC LIMIT 1
                """
            ).first(decoding: Row.self)
        )
    }

    static func latestPayment(_ components: AppServices, _ user: M.Caller, kind: String) async throws -> String {
        try #require(
            try await components.database.sql.raw(
                """
                SELECT payment_id FROM invoices WHERE user_id = \(bind: user.id) AND kind = \(bind: kind)
                ORDER BY created_at DESC LIMIT 1
                """
            ).first()?.decode(column: "payment_id", as: String.self)
        )
    }

    static func activeCreator(_ client: any TestClientProtocol, _ fake: FakeHyperswitch) async throws -> M.Caller {
        let user = try await M.Caller.make()
        let payment = try #require(
            try await M.subscribe(client, user, plan: "creator").payment?["payment_id"] as? String
        )
        try await M.settle(payment, "succeeded", fake: fake, client: client)
        return user
    }

    static func features(_ client: any TestClientProtocol, _ user: M.Caller) async throws -> Set<String> {
        Set(try await M.mine(client, user).json["features"] as? [String] ?? ["?"])
    }

    @Test(
        "upgrade takes effect on payment; downgrade at the period end; unpaid renewal → past_due → expired",
        arguments: DatabaseEngine.allCases
    )
    func changeRenewAndExpire(engine: DatabaseEngine) async throws {
        try await M.with(engine) { components, client, fake in
            let fake = try #require(fake)
            let user = try await Self.activeCreator(client, fake)
            let change = try await M.call(
                client,
                .post,
                "/api/v1/subscriptions/change",
                as: user,
                json: #"{"plan":"premium"}"#
            )
            #expect(change.status == .ok)
            let upgradePayment = try #require(change.payment?["payment_id"] as? String)
            #expect(fake.payment(upgradePayment)?.amount == 1999)
            #expect(try await Self.row(components, user).plan_id == "creator")
            #expect(!(try await Self.features(client, user)).contains("hifi"))
            try await M.settle(upgradePayment, "succeeded", fake: fake, client: client)
            #expect(try await Self.row(components, user).plan_id == "premium")
            #expect(try await Self.features(client, user).contains("hifi"))

            let down = try await M.call(
                client,
                .post,
                "/api/v1/subscriptions/change",
                as: user,
                json: #"{"plan":"creator"}"#
            )
            #expect(down.status == .ok)
            #expect(down.payment == nil)
            var row = try await Self.row(components, user)
            #expect(row.plan_id == "premium" && row.scheduled_plan_id == "creator")
            let end = try #require(row.current_period_end)

            // The period ends: a renewal invoice at the downgraded price; features kept within the grace.
            let sweeper = components.subscriptionSweeper
            #expect(try await sweeper.sweepOnce(now: end.addingTimeInterval(1)) == 1)
            row = try await Self.row(components, user)
            #expect(row.status == "past_due")
            let renewal = try await Self.latestPayment(components, user, kind: "renewal")
            #expect(fake.payment(renewal)?.amount == 999)
            #expect(try await Self.features(client, user).contains("sell"))

            // Nobody pays within SUBSCRIPTION_GRACE (3 days): expired, nothing granted.
            #expect(try await sweeper.sweepOnce(now: end.addingTimeInterval(2 * 86400)) == 0)
            #expect(try await sweeper.sweepOnce(now: end.addingTimeInterval(3 * 86400 + 2)) == 1)
            #expect(try await Self.row(components, user).status == "expired")
            #expect(try await Self.features(client, user) == [])
            // The renewal's late payment is recorded on the invoice but revives nothing.
            try await M.settle(renewal, "succeeded", fake: fake, client: client)
            #expect(try await M.statuses(components, user.id) == ["expired"])
        }
    }

    @Test("a paid renewal continues the period with the scheduled plan", arguments: DatabaseEngine.allCases)
    func renewalPaid(engine: DatabaseEngine) async throws {
        try await M.with(engine) { components, client, fake in
            let fake = try #require(fake)
            let user = try await Self.activeCreator(client, fake)
            let end = try #require(try await Self.row(components, user).current_period_end)
            #expect(
                try await M.call(
                    client,
                    .post,
                    "/api/v1/subscriptions/change",
                    as: user,
                    json: #"{"billing_cycle":"yearly"}"#
                ).status == .ok
            )
            #expect(try await components.subscriptionSweeper.sweepOnce(now: end.addingTimeInterval(60)) == 1)
            let renewal = try await Self.latestPayment(components, user, kind: "renewal")
            #expect(fake.payment(renewal)?.amount == 9900)
            try await M.settle(renewal, "succeeded", fake: fake, client: client)
            let row = try await Self.row(components, user)
            #expect(row.status == "active")
            let next = try #require(row.current_period_end)
            #expect(next.timeIntervalSince(end) > 364 * 86400 && next.timeIntervalSince(end) < 367 * 86400)
            #expect(try await M.mine(client, user).subscription?["billing_cycle"] as? String == "yearly")
        }
    }

    @Test(
        "cancel keeps the paid period, reactivate takes it back, the period end cancels",
        arguments: DatabaseEngine.allCases
    )
    func cancelAtPeriodEnd(engine: DatabaseEngine) async throws {
        try await M.with(engine) { components, client, fake in
            let fake = try #require(fake)
            let user = try await Self.activeCreator(client, fake)
            var answer = try await M.call(client, .post, "/api/v1/subscriptions/cancel", as: user)
            #expect(answer.status == .ok)
            #expect(answer.subscription?["status"] as? String == "active")
            #expect(answer.subscription?["cancel_at_period_end"] as? Bool == true)
            #expect(try await Self.features(client, user) == ["sell", "distribution"])
            answer = try await M.call(client, .post, "/api/v1/subscriptions/reactivate", as: user)
            #expect(answer.subscription?["cancel_at_period_end"] as? Bool == false)
            #expect(try await M.call(client, .post, "/api/v1/subscriptions/reactivate", as: user).status == .conflict)
            _ = try await M.call(client, .post, "/api/v1/subscriptions/cancel", as: user)
            let end = try #require(try await Self.row(components, user).current_period_end)
            #expect(try await components.subscriptionSweeper.sweepOnce(now: end.addingTimeInterval(1)) == 1)
            #expect(try await M.statuses(components, user.id) == ["canceled"])
            #expect(try await Self.features(client, user) == [])
            #expect(fake.payments.count == 1, "no renewal is billed after a cancel")
            #expect(try await M.call(client, .post, "/api/v1/subscriptions/cancel", as: user).status == .notFound)
        }
    }

    @Test("a trial ends in pending_payment with its first payment", arguments: DatabaseEngine.allCases)
    func trialEnds(engine: DatabaseEngine) async throws {
        try await M.with(engine) { components, client, fake in
            let fake = try #require(fake)
            let user = try await M.Caller.make()
            let trial = try await M.subscribe(client, user, plan: "premium")
            let id = try #require(trial.subscription?["id"] as? String)
            #expect(try await components.subscriptionSweeper.sweepOnce(now: Date().addingTimeInterval(15 * 86400)) == 1)
            #expect(try await M.statuses(components, user.id) == ["pending_payment"])
            #expect(try await Self.features(client, user) == [])
            let payment = try await Self.latestPayment(components, user, kind: "initial")
            #expect(fake.payment(payment)?.amount == 1999)
            #expect(fake.requests("POST", "/payments").first?.header("Idempotency-Key") == id)
            let resumed = try await M.call(client, .post, "/api/v1/subscriptions/complete/\(id)", as: user)
            #expect(resumed.payment?["payment_id"] as? String == payment)
            try await M.settle(payment, "succeeded", fake: fake, client: client)
            #expect(try await M.statuses(components, user.id) == ["active"])
        }
    }
}
