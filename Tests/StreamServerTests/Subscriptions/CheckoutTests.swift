import Database
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

@testable import StreamServer

/// Subscribing through the real routes, with the fake Hyperswitch behind the app.
@Suite("Subscription checkout")
struct CheckoutTests {
    typealias M = MoneyTestApp

    @Test(
        "creator: pending_payment with one keyed payment, retry-safe, active only by the signed webhook",
        arguments: DatabaseEngine.allCases
    )
    func creatorCheckout(engine: DatabaseEngine) async throws {
        try await M.with(engine) { components, client, fake in
            let fake = try #require(fake)
            let user = try await M.Caller.make()
            let first = try await M.subscribe(client, user, plan: "creator")
            #expect(first.status == .created)
            let subscription = try #require(first.subscription)
            let id = try #require(subscription["id"] as? String)
            #expect(subscription["status"] as? String == "pending_payment")
            let payment = try #require(first.payment)
            let paymentID = try #require(payment["payment_id"] as? String)
            #expect((payment["client_secret"] as? String)?.isEmpty == false)

            let created = fake.requests("POST", "/payments")
            #expect(created.count == 1)
            #expect(created.first?.header("Idempotency-Key") == id)
            #expect(fake.payments.count == 1)
            #expect(fake.payment(paymentID)?.amount == 999)

            // A retried request answers the same checkout and asks for no second payment.
            let retry = try await M.subscribe(client, user, plan: "creator")
            #expect(retry.status == .ok)
            #expect(retry.subscription?["id"] as? String == id)
            #expect(retry.payment?["payment_id"] as? String == paymentID)
            #expect(fake.payments.count == 1)
            #expect(fake.requests("POST", "/payments").count == 1)

            // Another plan while this one is live: 409.
            #expect(try await M.subscribe(client, user, plan: "premium").status == .conflict)

            // Nothing granted while pending.
            var mine = try await M.mine(client, user)
            #expect(mine.json["needs_payment"] as? Bool == true)
            #expect((mine.json["features"] as? [String]) == [])
            let eligibility = try await M.call(client, .get, "/api/v1/distribution/eligibility", as: user)
            #expect(eligibility.json["eligible"] as? Bool == false)
            #expect(eligibility.json["reason"] as? String == "complete payment to enable distribution")

            // The customer pays; Hyperswitch's signed webhook activates the subscription.
            let delivered = try await M.settle(paymentID, "succeeded", fake: fake, client: client)
            #expect(delivered.status == .ok)
            mine = try await M.mine(client, user)
            #expect(mine.subscription?["status"] as? String == "active")
            #expect(mine.subscription?["current_period_end"] is String)
            #expect(Set(mine.json["features"] as? [String] ?? []) == ["sell", "distribution"])
            #expect(try await M.statuses(components, user.id) == ["active"])
            let eligible = try await M.call(client, .get, "/api/v1/distribution/eligibility", as: user)
            #expect(eligible.json["eligible"] as? Bool == true)
        }
    }

    @Test(
        "a bad or missing signature is 401 and changes nothing; malformed JSON with a good one is 400",
        arguments: DatabaseEngine.allCases
    )
    func signatures(engine: DatabaseEngine) async throws {
        try await M.with(engine) { components, client, fake in
            let fake = try #require(fake)
            let user = try await M.Caller.make()
            let paymentID = try #require(
                try await M.subscribe(client, user, plan: "creator").payment?["payment_id"] as? String
            )
            fake.setPaymentStatus(paymentID, "succeeded")
            var webhook = try #require(fake.webhook(forPayment: paymentID))
            let genuine = webhook
            webhook.signature = String(repeating: "0", count: 128)
            var answer = try await M.deliver(webhook, client)
            #expect(answer.status == .unauthorized)
            #expect(answer.errorCode == "invalid_signature")
            webhook.signature = nil
            #expect(try await M.deliver(webhook, client).status == .unauthorized)
            // The signature of another body: the bytes are what is signed.
            var tampered = genuine
            tampered.body = Array(
                String(decoding: genuine.body, as: UTF8.self).replacingOccurrences(of: "succeeded", with: "succeedeD")
                    .utf8
            )
            #expect(try await M.deliver(tampered, client).status == .unauthorized)
            #expect(try await M.statuses(components, user.id) == ["pending_payment"])
            #expect(try await M.count(components, "webhook_events") == 0)

            let junk = Array("{\"event_id\": 12, not json".utf8)
            var malformed = genuine
            malformed.body = junk
            malformed.signature = FakeHyperswitch.sign(junk, secret: fake.webhookSecret)
            answer = try await M.deliver(malformed, client)
            #expect(answer.status == .badRequest)
            #expect(answer.errorCode != nil)

            // Over 1 MiB: refused before the signature is even computed.
            var huge = genuine
            huge.body = Array(repeating: UInt8(ascii: " "), count: 1024 * 1024 + 1)
            huge.signature = FakeHyperswitch.sign(huge.body, secret: fake.webhookSecret)
            #expect(try await M.deliver(huge, client).status == .contentTooLarge)

            // A payment nobody here knows: 200, so Hyperswitch stops retrying; recorded once.
            let stranger = try await M.foreignPayment(fake)
            fake.setPaymentStatus(stranger, "succeeded")
            let unknown = try #require(fake.webhook(forPayment: stranger))
            #expect(try await M.deliver(unknown, client).status == .ok)
            #expect(try await M.deliver(unknown, client).status == .ok)
            #expect(try await M.statuses(components, user.id) == ["pending_payment"])

            // The genuine delivery still works afterwards.
            #expect(try await M.deliver(genuine, client).status == .ok)
            #expect(try await M.statuses(components, user.id) == ["active"])
        }
    }

    @Test(
        "without a provider, paid plans are 503 and nothing is created; free still works",
        arguments: DatabaseEngine.allCases
    )
    func noProvider(engine: DatabaseEngine) async throws {
        try await M.with(engine, provider: false) { components, client, _ in
            let user = try await M.Caller.make()
            for plan in ["creator", "premium"] {
                let answer = try await M.subscribe(client, user, plan: plan)
                #expect(answer.status == .serviceUnavailable)
                #expect(answer.errorCode == "payment_provider_unavailable")
            }
            #expect(try await M.count(components, "subscriptions") == 0)
            #expect(try await M.count(components, "invoices") == 0)
            #expect(try await M.count(components, "trial_claims") == 0)
            let mine = try await M.mine(client, user)
            #expect(mine.json.keys.contains("subscription"))
            #expect(mine.subscription == nil)

            let webhook = try await M.call(client, .post, "/api/v1/webhooks/hyperswitch", json: "{}")
            #expect(webhook.status == .serviceUnavailable)

            let free = try await M.subscribe(client, user, plan: "free")
            #expect(free.status == .created)
            #expect(free.subscription?["status"] as? String == "active")
            #expect(free.payment == nil)
            #expect((try await M.mine(client, user).json["features"] as? [String]) == [])
        }
    }

    @Test("bad subscribe bodies are 4xx JSON errors and create nothing", arguments: DatabaseEngine.allCases)
    func badInput(engine: DatabaseEngine) async throws {
        try await M.with(engine) { components, client, fake in
            let user = try await M.Caller.make()
            let cases: [(String?, HTTPResponse.Status)] = [
                (#"{"plan":"gold"}"#, .badRequest),
                (#"{"plan":"creator","billing_cycle":"weekly"}"#, .badRequest),
                (#"{"billing_cycle":"monthly"}"#, .badRequest),
                ("not json", .badRequest),
                (nil, .badRequest),
            ]
            for (body, status) in cases {
                let answer = try await M.call(client, .post, "/api/v1/subscriptions/subscribe", as: user, json: body)
                #expect(answer.status == status, "\(body ?? "nil")")
                #expect(answer.errorCode != nil)
            }
            let anonymous = try await M.call(
                client,
                .post,
                "/api/v1/subscriptions/subscribe",
                json: #"{"plan":"free"}"#
            )
            #expect(anonymous.status == .unauthorized)
            #expect(try await M.count(components, "subscriptions") == 0)
            #expect(fake?.payments.isEmpty == true)
            let other = try await M.Caller.make()
            let missing = try await M.call(client, .post, "/api/v1/subscriptions/complete/\(UUID())", as: other)
            #expect(missing.status == .notFound)
        }
    }

    @Test("the premium trial is once per user", arguments: DatabaseEngine.allCases)
    func trialOnce(engine: DatabaseEngine) async throws {
        try await M.with(engine) { components, client, fake in
            let fake = try #require(fake)
            let user = try await M.Caller.make()
            let trial = try await M.subscribe(client, user, plan: "premium")
            #expect(trial.status == .created)
            #expect(trial.subscription?["status"] as? String == "trialing")
            #expect(trial.subscription?["trial_end"] is String)
            #expect(trial.payment == nil)
            #expect(fake.payments.isEmpty)
            #expect(try await M.count(components, "invoices") == 0)
            #expect(
                Set(try await M.mine(client, user).json["features"] as? [String] ?? []) == [
                    "sell", "distribution", "hifi",
                ]
            )

            #expect(try await M.call(client, .post, "/api/v1/subscriptions/cancel", as: user).status == .ok)
            #expect((try await M.mine(client, user).json["features"] as? [String]) == [])
            let again = try await M.subscribe(client, user, plan: "premium")
            #expect(again.status == .created)
            #expect(again.subscription?["status"] as? String == "pending_payment")
            #expect(again.payment?["client_secret"] is String)
            #expect(fake.payments.count == 1)
            #expect(try await M.statuses(components, user.id) == ["canceled", "pending_payment"])
        }
    }

    @Test(
        "complete/{id} resumes the same payment; a new one only after the old failed; 409 otherwise",
        arguments: DatabaseEngine.allCases
    )
    func complete(engine: DatabaseEngine) async throws {
        try await M.with(engine) { components, client, fake in
            let fake = try #require(fake)
            let user = try await M.Caller.make()
            let first = try await M.subscribe(client, user, plan: "creator", cycle: "yearly")
            let id = try #require(first.subscription?["id"] as? String)
            let paymentID = try #require(first.payment?["payment_id"] as? String)
            #expect(fake.payment(paymentID)?.amount == 9900)
            var resumed = try await M.call(client, .post, "/api/v1/subscriptions/complete/\(id)", as: user)
            #expect(resumed.status == .ok)
            #expect(resumed.payment?["payment_id"] as? String == paymentID)
            #expect(fake.payments.count == 1)

            let stranger = try await M.Caller.make()
            #expect(
                try await M.call(client, .post, "/api/v1/subscriptions/complete/\(id)", as: stranger).status
                    == .notFound
            )

            // The provider says the payment failed before its webhook came: a fresh payment.
            fake.setPaymentStatus(paymentID, "failed")
            resumed = try await M.call(client, .post, "/api/v1/subscriptions/complete/\(id)", as: user)
            #expect(resumed.status == .ok)
            let second = try #require(resumed.payment?["payment_id"] as? String)
            #expect(second != paymentID)
            #expect(fake.payments.count == 2)
            // The late payment_failed of the first payment does not expire the new checkout.
            #expect(try await M.deliver(try #require(fake.webhook(forPayment: paymentID)), client).status == .ok)
            #expect(try await M.statuses(components, user.id) == ["pending_payment"])

            try await M.settle(second, "succeeded", fake: fake, client: client)
            #expect(try await M.statuses(components, user.id) == ["active"])
            let done = try await M.call(client, .post, "/api/v1/subscriptions/complete/\(id)", as: user)
            #expect(done.status == .conflict)
        }
    }
}
