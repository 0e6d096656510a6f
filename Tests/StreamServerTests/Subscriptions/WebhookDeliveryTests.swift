import AsyncHTTPClient
import Database
import Foundation
import HummingbirdTesting
import SQLKit
import TestSupport
import Testing

@testable import StreamServer

/// At-least-once, unordered delivery: redeliveries and a contradicting event apply once.
@Suite("Webhook deliveries", .serialized)
struct WebhookDeliveryTests {
    typealias M = MoneyTestApp

    /// The answer's status, or -1 when every delivery failed (Hyperswitch's 5 s timeout): never
    /// throws, so the storm waits for every request before the app shuts down. A delivery that
    /// got no answer in time is sent again, as Hyperswitch retries it; an answer is never retried.
    static func send(_ delivery: FakeHyperswitchWebhook, to url: URL) async -> Int {
        for _ in 0..<5 {
            if let status = try? await delivery.send(to: url).status { return status }
        }
        return -1
    }

    struct PaidInvoice: Decodable, Equatable {
        var status: String
        var paid_at: Date?
    }

    @Test(
        "1000 concurrent deliveries shuffled with a payment_failed leave one active subscription, paid_at stamped once",
        arguments: DatabaseEngine.allCases
    )
    func storm(engine: DatabaseEngine) async throws {
        try await M.with(engine, live: true) { components, client, fake in
            let fake = try #require(fake)
            let port = try #require(client.port)
            let url = try #require(URL(string: "http://127.0.0.1:\(port)/api/v1/webhooks/hyperswitch"))
            let user = try await M.Caller.make()
            let paymentID = try #require(
                try await M.subscribe(client, user, plan: "creator").payment?["payment_id"] as? String
            )

            let failed = try #require(fake.webhook(forPayment: paymentID, eventType: "payment_failed"))
            fake.setPaymentStatus(paymentID, "succeeded")
            let succeeded = try #require(fake.webhook(forPayment: paymentID))
            #expect(succeeded.eventType == "payment_succeeded")
            var deliveries = Array(repeating: succeeded, count: 1000) + [failed]
            deliveries.shuffle()

            let statuses = await withTaskGroup(of: Int.self) { group in
                var results: [Int] = []
                var next = deliveries.makeIterator()
                for _ in 0..<32 {
                    guard let delivery = next.next() else { break }
                    group.addTask { await Self.send(delivery, to: url) }
                }
                while let status = await group.next() {
                    results.append(status)
                    if let delivery = next.next() { group.addTask { await Self.send(delivery, to: url) } }
                }
                return results
            }
            #expect(statuses.count == 1001)
            #expect(
                statuses.allSatisfy { $0 == 200 },
                "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))"
            )

            #expect(try await M.statuses(components, user.id) == ["active"])
            let invoices = try await components.database.sql.raw(
                "SELECT status, paid_at FROM invoices WHERE user_id = \(bind: user.id)"
            ).all(decoding: PaidInvoice.self)
            #expect(invoices.count == 1)
            #expect(invoices.first?.status == "paid")
            let paidAt = try #require(invoices.first?.paid_at)
            #expect(try await M.count(components, "webhook_events") == 2)

            // Once more, much later: paid_at does not move.
            #expect(try await succeeded.send(to: url).status == 200)
            #expect(try await failed.send(to: url).status == 200)
            let after = try await components.database.sql.raw(
                "SELECT status, paid_at FROM invoices WHERE user_id = \(bind: user.id)"
            ).all(decoding: PaidInvoice.self)
            #expect(after == [PaidInvoice(status: "paid", paid_at: paidAt)])
        }
    }

    @Test("a payment that really failed expires the checkout", arguments: DatabaseEngine.allCases)
    func failure(engine: DatabaseEngine) async throws {
        try await M.with(engine) { components, client, fake in
            let fake = try #require(fake)
            let user = try await M.Caller.make()
            let paymentID = try #require(
                try await M.subscribe(client, user, plan: "creator").payment?["payment_id"] as? String
            )
            #expect(try await M.settle(paymentID, "failed", fake: fake, client: client).status == .ok)
            #expect(try await M.statuses(components, user.id) == ["expired"])
            #expect((try await M.mine(client, user).json["features"] as? [String]) == [])
            // The user may try again: a new subscription and a new payment.
            let again = try await M.subscribe(client, user, plan: "creator")
            #expect(again.status == .created)
            #expect(again.payment?["payment_id"] as? String != paymentID)
        }
    }

    @Test(
        "reconciliation activates a stuck checkout the provider says is paid, and leaves it on provider errors",
        arguments: DatabaseEngine.allCases
    )
    func reconcile(engine: DatabaseEngine) async throws {
        try await M.with(engine) { components, client, fake in
            let fake = try #require(fake)
            let paid = try await M.Caller.make()
            let stuck = try await M.Caller.make()
            let paidPayment = try #require(
                try await M.subscribe(client, paid, plan: "creator").payment?["payment_id"] as? String
            )
            // A trial first: nothing to reconcile.
            _ = try await M.subscribe(client, stuck, plan: "premium", cycle: "yearly")
            _ = try await M.call(client, .post, "/api/v1/subscriptions/cancel", as: stuck)
            let stuckPayment = try #require(
                try await M.subscribe(client, stuck, plan: "premium").payment?["payment_id"] as? String
            )
            fake.setPaymentStatus(paidPayment, "succeeded")  // paid, but the webhook never came
            let later = Date().addingTimeInterval(3600)

            // Too recent for the default RECONCILE_PENDING_AFTER: untouched.
            var report = try await components.paymentReconciler.reconcileOnce()
            #expect(report.examined == 0)

            fake.failNext(10)
            report = try await components.paymentReconciler.reconcileOnce(now: later)
            #expect(report.examined == 2)
            #expect(report.failed == 2)
            #expect(try await M.statuses(components, paid.id) == ["pending_payment"])

            report = try await components.paymentReconciler.reconcileOnce(now: later)
            #expect(report.applied == 1)
            #expect(try await M.statuses(components, paid.id) == ["active"])
            // The other payment is still open at the provider: left pending.
            #expect(try await M.statuses(components, stuck.id) == ["canceled", "pending_payment"])
            #expect(fake.payment(stuckPayment)?.status != "succeeded")

            // The late webhook afterwards changes nothing.
            let late = try #require(fake.webhook(forPayment: paidPayment))
            #expect(try await M.deliver(late, client).status == .ok)
            #expect(try await M.statuses(components, paid.id) == ["active"])
            #expect(try await components.reconcilePaymentsOnce().hasPrefix("examined"))
        }
    }
}
