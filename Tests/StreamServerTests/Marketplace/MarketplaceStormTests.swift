import Foundation
import HTTPTypes
import Marketplace
import TestSupport
import Testing

@testable import StreamServer

/// At-least-once, unordered, concurrent delivery of the marketplace's events, over real HTTP:
/// 1000 shuffled deliveries of the orders' payment events, then 1000 of their refunds' events,
/// 32 in flight. Every seller credit, refund, debit, payout and reversal happens exactly once,
/// checked in our tables and in what the fake providers were asked to execute.
@Suite("Marketplace webhook storm", .serialized)
struct MarketplaceStormTests {
    typealias A = MarketTestApp
    typealias M = MoneyTestApp

    static let orders = 4
    static let deliveries = 1000
    static let inFlight = 32

    /// Sends every delivery with at most ``inFlight`` at once; the statuses, one per delivery.
    static func storm(_ deliveries: [FakeHyperswitchWebhook], to url: URL) async -> [Int] {
        await withTaskGroup(of: Int.self) { group in
            var results: [Int] = []
            var next = deliveries.makeIterator()
            for _ in 0..<Self.inFlight {
                guard let delivery = next.next() else { break }
                group.addTask { await WebhookDeliveryTests.send(delivery, to: url) }
            }
            while let status = await group.next() {
                results.append(status)
                if let delivery = next.next() {
                    group.addTask { await WebhookDeliveryTests.send(delivery, to: url) }
                }
            }
            return results
        }
    }

    /// `count` deliveries spread over `events`: mostly the same bytes again (a redelivery), some
    /// fresh events for the same object, a few contradicting ones; shuffled.
    static func deliveries(
        count: Int,
        objects: [String],
        make: (String, String?) -> FakeHyperswitchWebhook?,
        contradicting: String
    ) throws -> [FakeHyperswitchWebhook] {
        var all: [FakeHyperswitchWebhook] = []
        let perObject = count / objects.count
        for object in objects {
            let original = try #require(make(object, nil))
            for index in 0..<perObject {
                switch index % 25 {
                case 0: all.append(try #require(make(object, contradicting)))
                case 1...4: all.append(try #require(make(object, nil)))
                default: all.append(original)
                }
            }
        }
        #expect(all.count == count)
        return all.shuffled()
    }

    static func summary(_ statuses: [Int]) -> String {
        "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))"
    }

    @Test(
        "1000 shuffled payment deliveries, then 1000 refund deliveries, 32 at once: everything exactly once",
        arguments: DatabaseEngine.allCases
    )
    func storm(engine: DatabaseEngine) async throws {
        try await A.with(engine, live: true, environment: MoneyEndToEndTests.fastWorkers) { world in
            let port = try #require(world.client.port)
            let url = try #require(URL(string: "http://127.0.0.1:\(port)/api/v1/webhooks/hyperswitch"))
            let seller = try await A.seller(world)
            let track = try await A.track(world, owner: seller.id)
            let basic = try A.licence(try await A.list(world, seller, track: track), "basic")

            var buyers: [M.Caller] = []
            var orderIDs: [String] = []
            var paymentIDs: [String] = []
            for _ in 0..<Self.orders {
                let buyer = try await M.Caller.make()
                let placed = try await A.buy(world, buyer, licence: basic)
                #expect(placed.status == .created)
                buyers.append(buyer)
                orderIDs.append(try A.orderID(placed))
                paymentIDs.append(try A.paymentID(placed))
            }
            for paymentID in paymentIDs { world.hyperswitch.setPaymentStatus(paymentID, "succeeded") }

            // Payments: 1000 deliveries, payment_failed among them (the provider's status decides).
            let payments = try Self.deliveries(
                count: Self.deliveries,
                objects: paymentIDs,
                make: { world.hyperswitch.webhook(forPayment: $0, eventType: $1) },
                contradicting: "payment_failed"
            )
            let paid = await Self.storm(payments, to: url)
            #expect(paid.count == Self.deliveries)
            #expect(paid.allSatisfy { $0 == 200 }, "\(Self.summary(paid))")

            for (buyer, orderID) in zip(buyers, orderIDs) {
                #expect(try await A.orderStatus(world, buyer, orderID) == "completed")
                #expect(try await A.licences(world, buyer).count == 1)
            }
            #expect(try await A.count(world, "marketplace_licence_grants") == Self.orders)
            #expect(try await A.balance(world, seller) == Int64(900 * Self.orders))
            var transferIDs: [String] = []
            for orderID in orderIDs {
                let transfers = try await A.transfers(world, order: orderID)
                #expect(transfers.count == 1)
                transferIDs += transfers.map { $0.id.uuidString.lowercased() }
            }
            let allPaidOut = try await A.eventually {
                try await MoneyEndToEndTests.sellerTransfers(world, seller).allSatisfy {
                    $0["status"] as? String == "completed"
                }
            }
            #expect(allPaidOut)
            #expect(world.stripe.transfers.count == Self.orders)
            for transferID in transferIDs {
                #expect(world.stripe.executions(ofIdempotencyKey: transferID) == 1, "transfer \(transferID)")
            }

            // Refunds: concurrent requests by buyer and seller, one refund per order.
            var refundIDs: [String] = []
            for (buyer, orderID) in zip(buyers, orderIDs) {
                async let byBuyer = A.refund(world, buyer, order: orderID)
                async let bySeller = A.refund(world, seller, order: orderID)
                let answers = try await [byBuyer, bySeller]
                #expect(answers.filter { $0.status == .accepted }.count == 1)
                #expect(answers.filter { $0.errorCode == "refund_in_progress" }.count == 1)
                let accepted = try #require(answers.first { $0.status == .accepted })
                refundIDs.append(try #require((accepted.json["refund"] as? [String: Any])?["id"] as? String))
            }
            let refundCalls = world.hyperswitch.requests.filter { $0.method == "POST" && $0.path == "/refunds" }
            #expect(refundCalls.count == Self.orders)
            for refundID in refundIDs { world.hyperswitch.setRefundStatus(refundID, "succeeded") }

            let refunds = try Self.deliveries(
                count: Self.deliveries,
                objects: refundIDs,
                make: { world.hyperswitch.webhook(forRefund: $0, eventType: $1) },
                contradicting: "refund_failed"
            )
            let refunded = await Self.storm(refunds, to: url)
            #expect(refunded.count == Self.deliveries)
            #expect(refunded.allSatisfy { $0 == 200 }, "\(Self.summary(refunded))")

            for (buyer, orderID) in zip(buyers, orderIDs) {
                #expect(try await A.orderStatus(world, buyer, orderID) == "refunded")
                #expect(try await A.licences(world, buyer).isEmpty)
            }
            #expect(try await A.balance(world, seller) == 0)
            #expect(try await A.count(world, "marketplace_refunds") == Self.orders)
            let allReversed = try await A.eventually {
                try await MoneyEndToEndTests.sellerTransfers(world, seller).allSatisfy {
                    $0["status"] as? String == "reversed"
                }
            }
            #expect(allReversed)
            #expect(world.stripe.reversals.count == Self.orders)
            for transferID in transferIDs {
                #expect(
                    world.stripe.executions(ofIdempotencyKey: transferID + ":reversal") == 1,
                    "reversal \(transferID)"
                )
            }
            // The providers were asked nothing more than once per object.
            #expect(world.stripe.transfers.count == Self.orders)
            #expect(
                world.hyperswitch.requests.filter { $0.method == "POST" && $0.path == "/refunds" }.count
                    == Self.orders
            )
        }
    }
}
