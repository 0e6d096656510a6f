import Foundation
import HTTPTypes
import Marketplace
import TestSupport
import Testing

@testable import StreamServer

/// Buying a licence through the routes and the signed webhook: the order, the licence, the
/// seller's credit, the transfer, the download gate; duplicates and concurrent redeliveries.
@Suite("Marketplace orders")
struct OrderRouteTests {
    typealias A = MarketTestApp
    typealias M = MoneyTestApp

    @Test("buy, pay, licence, credit, transfer, download", arguments: DatabaseEngine.allCases)
    func buyAndPay(engine: DatabaseEngine) async throws {
        try await A.with(engine) { world in
            let seller = try await A.seller(world)
            let track = try await A.track(world, owner: seller.id)
            let listed = try await A.list(world, seller, track: track)
            let basic = try A.licence(listed, "basic")
            let buyer = try await M.Caller.make()
            let stranger = try await M.Caller.make()

            let own = try await A.buy(world, seller, licence: basic)
            #expect(own.status == .conflict)
            #expect(own.errorCode == "own_track")
            #expect(try await A.buy(world, buyer, licence: UUID().uuidString.lowercased()).status == .notFound)

            #expect(try await A.download(world, buyer, track: track) == .forbidden)
            let placed = try await A.buy(world, buyer, licence: basic)
            #expect(placed.status == .created)
            let orderID = try A.orderID(placed)
            let order = try #require(placed.json["order"] as? [String: Any])
            #expect(order["status"] as? String == "pending")
            #expect(order["amount_cents"] as? Int == 1000)
            #expect(order["currency"] as? String == "USD")
            #expect(order["licence_id"] as? String == basic)
            let paymentID = try A.paymentID(placed)
            #expect(placed.payment?["client_secret"] as? String != nil)
            // The payment was created with Idempotency-Key = the order id.
            let create = try #require(
                world.hyperswitch.requests.last { $0.method == "POST" && $0.path == "/payments" }
            )
            #expect(create.headers.first { $0.0.lowercased() == "idempotency-key" }?.1 == orderID)

            #expect(try await A.order(world, stranger, orderID).status == .notFound)
            #expect(try await A.orderStatus(world, seller, orderID) == "pending")

            let delivered = try await M.settle(paymentID, "succeeded", fake: world.hyperswitch, client: world.client)
            #expect(delivered.status == .ok)
            #expect(try await A.orderStatus(world, buyer, orderID) == "completed")
            let licences = try await A.licences(world, buyer)
            #expect(licences.count == 1)
            #expect(licences.first?["track_id"] as? String == track.uuidString.lowercased())
            #expect(licences.first?["order_id"] as? String == orderID)
            #expect(licences.first?["status"] as? String == "live")
            #expect(try await A.balance(world, seller) == 900)
            try await A.paidOut(world, order: orderID)
            let transfers = try await A.transfers(world, order: orderID)
            #expect(transfers.count == 1)
            #expect(transfers.first?.amountCents == 900)
            #expect(transfers.first?.status == .completed)
            #expect(world.stripe.transfers.count == 1)
            #expect(world.stripe.transfers.first?.amount == 900)

            let allowed = try await A.download(world, buyer, track: track)
            #expect(allowed == .ok || allowed == .found)
            #expect(try await A.download(world, stranger, track: track) == .forbidden)

            // A redelivery and a new event for the same payment change nothing.
            let webhook = try #require(world.hyperswitch.webhook(forPayment: paymentID))
            #expect(try await M.deliver(webhook, world.client).status == .ok)
            #expect(try await M.deliver(webhook, world.client).status == .ok)
            let fresh = try #require(world.hyperswitch.webhook(forPayment: paymentID))
            #expect(try await M.deliver(fresh, world.client).status == .ok)
            #expect(try await A.balance(world, seller) == 900)
            #expect(try await A.count(world, "marketplace_licence_grants") == 1)
            #expect(try await A.count(world, "marketplace_transfers") == 1)
            #expect(world.stripe.transfers.count == 1)

            let mine = try await M.call(world.client, .get, "/api/v1/me/orders", as: buyer)
            #expect((mine.json["orders"] as? [[String: Any]])?.map { $0["id"] as? String } == [orderID])

            // The provider refuses to create the payment: 502, and the order is failed, not left pending.
            world.hyperswitch.failNext(1, status: 400)
            let refused = try await A.buy(world, stranger, licence: basic)
            #expect(refused.status == .badGateway)
            #expect(refused.errorCode == "payment_provider_failed")
            let theirs = try await M.call(world.client, .get, "/api/v1/me/orders", as: stranger)
            #expect((theirs.json["orders"] as? [[String: Any]])?.map { $0["status"] as? String } == ["failed"])
        }
    }

    @Test(
        "an exclusive licence: one pending order at a time, paid it unlists the product",
        arguments: DatabaseEngine.allCases
    )
    func exclusive(engine: DatabaseEngine) async throws {
        try await A.with(engine) { world in
            let seller = try await A.seller(world)
            let track = try await A.track(world, owner: seller.id)
            let listed = try await A.list(world, seller, track: track)
            let exclusive = try A.licence(listed, "exclusive")
            let basic = try A.licence(listed, "basic")
            let first = try await M.Caller.make()
            let second = try await M.Caller.make()

            let a = try await A.buy(world, first, licence: exclusive)
            #expect(a.status == .created)
            let blocked = try await A.buy(world, second, licence: exclusive)
            #expect(blocked.status == .conflict)
            #expect(blocked.errorCode == "exclusive_unavailable")

            // A failed payment frees the exclusive licence again.
            try await M.settle(try A.paymentID(a), "failed", fake: world.hyperswitch, client: world.client)
            #expect(try await A.orderStatus(world, first, try A.orderID(a)) == "failed")
            let b = try await A.buy(world, second, licence: exclusive)
            #expect(b.status == .created)
            let basicOrder = try await A.buy(world, first, licence: basic)
            #expect(basicOrder.status == .created)

            try await M.settle(try A.paymentID(b), "succeeded", fake: world.hyperswitch, client: world.client)
            #expect(try await A.orderStatus(world, second, try A.orderID(b)) == "completed")
            let product = try await M.call(
                world.client,
                .get,
                "/api/v1/marketplace/products?track_id=\(track.uuidString.lowercased())"
            )
            #expect((product.json["products"] as? [[String: Any]])?.first?["status"] as? String == "unlisted")
            let after = try await A.buy(world, try await M.Caller.make(), licence: basic)
            #expect(after.status == .conflict)
            #expect(after.errorCode == "product_unlisted")
            // A pending order placed before the sale is still honoured when paid.
            try await M.settle(try A.paymentID(basicOrder), "succeeded", fake: world.hyperswitch, client: world.client)
            #expect(try await A.orderStatus(world, first, try A.orderID(basicOrder)) == "completed")

            // A late success of the failed exclusive order: the licence is sold, the order stays failed.
            try await M.settle(try A.paymentID(a), "succeeded", fake: world.hyperswitch, client: world.client)
            #expect(try await A.orderStatus(world, first, try A.orderID(a)) == "failed")
            #expect(try await A.balance(world, seller) == 45000 + 900)
        }
    }

    @Test("a late success after a failure is honoured", arguments: DatabaseEngine.allCases)
    func lateSuccess(engine: DatabaseEngine) async throws {
        try await A.with(engine) { world in
            let seller = try await A.seller(world)
            let track = try await A.track(world, owner: seller.id)
            let basic = try A.licence(try await A.list(world, seller, track: track), "basic")
            let buyer = try await M.Caller.make()
            let placed = try await A.buy(world, buyer, licence: basic)
            let payment = try A.paymentID(placed)
            try await M.settle(payment, "failed", fake: world.hyperswitch, client: world.client)
            #expect(try await A.orderStatus(world, buyer, try A.orderID(placed)) == "failed")
            #expect(try await A.licences(world, buyer).isEmpty)
            try await M.settle(payment, "succeeded", fake: world.hyperswitch, client: world.client)
            #expect(try await A.orderStatus(world, buyer, try A.orderID(placed)) == "completed")
            #expect(try await A.licences(world, buyer).count == 1)
            #expect(try await A.balance(world, seller) == 900)
        }
    }

    @Test("32 concurrent shuffled deliveries of one payment apply once", arguments: DatabaseEngine.allCases)
    func concurrentRedelivery(engine: DatabaseEngine) async throws {
        try await A.with(engine) { world in
            let seller = try await A.seller(world)
            let track = try await A.track(world, owner: seller.id)
            let basic = try A.licence(try await A.list(world, seller, track: track), "basic")
            let buyer = try await M.Caller.make()
            let placed = try await A.buy(world, buyer, licence: basic)
            let payment = try A.paymentID(placed)
            world.hyperswitch.setPaymentStatus(payment, "succeeded")
            let one = try #require(world.hyperswitch.webhook(forPayment: payment))
            var deliveries = Array(repeating: one, count: 16)
            for _ in 0..<16 { deliveries.append(try #require(world.hyperswitch.webhook(forPayment: payment))) }
            deliveries.shuffle()
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for webhook in deliveries {
                    group.addTask { try await M.deliver(webhook, world.client).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            // A delivery that lost a race may answer 503 (redelivered later): never a double credit.
            #expect(statuses.allSatisfy { $0 == .ok || $0 == .serviceUnavailable })
            #expect(statuses.contains(.ok))
            #expect(try await A.orderStatus(world, buyer, try A.orderID(placed)) == "completed")
            #expect(try await A.balance(world, seller) == 900)
            #expect(try await A.count(world, "marketplace_licence_grants") == 1)
            #expect(try await A.count(world, "marketplace_transfers") == 1)
            try await A.paidOut(world, order: try A.orderID(placed))
            #expect(world.stripe.transfers.count == 1)
        }
    }

    @Test(
        "no payment provider: 503; an unknown payment's webhook is not the marketplace's",
        arguments: DatabaseEngine.allCases
    )
    func withoutProvider(engine: DatabaseEngine) async throws {
        try await M.with(engine, provider: false) { components, client, _ in
            let buyer = try await M.Caller.make()
            let answer = try await M.call(
                client,
                .post,
                "/api/v1/marketplace/orders",
                as: buyer,
                json: #"{"licence_id":"\#(UUID().uuidString.lowercased())"}"#
            )
            #expect(answer.status == .serviceUnavailable)
            #expect(answer.errorCode == "payment_provider_unavailable")
            let bad = try await M.call(
                client,
                .post,
                "/api/v1/marketplace/orders",
                as: buyer,
                json: #"{"licence_id":"x"}"#
            )
            #expect(bad.status == .badRequest)
            #expect(try await M.call(client, .get, "/api/v1/me/orders").status == .unauthorized)
        }
        try await A.with(engine) { world in
            let foreign = try await M.foreignPayment(world.hyperswitch)
            world.hyperswitch.setPaymentStatus(foreign, "succeeded")
            let webhook = try #require(world.hyperswitch.webhook(forPayment: foreign))
            #expect(try await M.deliver(webhook, world.client).status == .ok)
            #expect(try await A.count(world, "marketplace_orders") == 0)
        }
    }

    @Test(
        "a succeeded payment of another amount or currency grants nothing",
        arguments: DatabaseEngine.allCases
    )
    func mismatchedPayment(engine: DatabaseEngine) async throws {
        try await A.with(engine) { world in
            let seller = try await A.seller(world)
            let track = try await A.track(world, owner: seller.id)
            let basic = try A.licence(try await A.list(world, seller, track: track), "basic")
            for (amount, currency) in [(Int64(100), "USD"), (Int64(1000), "EUR")] {
                let buyer = try await M.Caller.make()
                let placed = try await A.buy(world, buyer, licence: basic)
                let paymentID = try A.paymentID(placed)
                world.hyperswitch.setPaymentAmount(paymentID, amount: amount, currency: currency)
                #expect(
                    try await M.settle(paymentID, "succeeded", fake: world.hyperswitch, client: world.client).status
                        == .ok
                )
                #expect(try await A.orderStatus(world, buyer, try A.orderID(placed)) == "pending")
                #expect(try await A.licences(world, buyer).isEmpty)
                #expect(try await A.download(world, buyer, track: track) == .forbidden)
            }
            #expect(try await A.balance(world, seller) == 0)
            #expect(try await A.count(world, "marketplace_transfers") == 0)
            #expect(world.stripe.transfers.isEmpty)
        }
    }
}
