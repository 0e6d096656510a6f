import AsyncHTTPClient
import Foundation
import HTTPTypes
import Marketplace
import NIOCore
import TestSupport
import Testing

@testable import StreamServer

/// The three refund phases through the routes and the signed webhooks.
@Suite("Marketplace refunds")
struct RefundRouteTests {
    typealias A = MarketTestApp
    typealias M = MoneyTestApp

    /// A paid basic order: (seller, buyer, track, order id).
    static func paidOrder(_ world: A.World) async throws -> (M.Caller, M.Caller, UUID, String) {
        let seller = try await A.seller(world)
        let track = try await A.track(world, owner: seller.id)
        let basic = try A.licence(try await A.list(world, seller, track: track), "basic")
        let buyer = try await M.Caller.make()
        let placed = try await A.buy(world, buyer, licence: basic)
        try await M.settle(try A.paymentID(placed), "succeeded", fake: world.hyperswitch, client: world.client)
        try await A.paidOut(world, order: try A.orderID(placed))
        return (seller, buyer, track, try A.orderID(placed))
    }

    @Test("refund: pending row, provider call, webhook revokes, debits, reverses", arguments: DatabaseEngine.allCases)
    func refund(engine: DatabaseEngine) async throws {
        try await A.with(engine) { world in
            let (seller, buyer, track, orderID) = try await Self.paidOrder(world)
            let stranger = try await M.Caller.make()
            #expect(try await A.refund(world, stranger, order: orderID).status == .notFound)

            let asked = try await A.refund(world, buyer, order: orderID)
            #expect(asked.status == .accepted)
            let refund = try #require(asked.json["refund"] as? [String: Any])
            #expect(refund["status"] as? String == "pending")
            let refundID = try #require(refund["id"] as? String)
            #expect(try await A.orderStatus(world, buyer, orderID) == "refund_pending")
            // refund_id and Idempotency-Key are the refund row id.
            #expect(world.hyperswitch.refund(refundID) != nil)
            let create = try #require(world.hyperswitch.requests.last { $0.method == "POST" && $0.path == "/refunds" })
            #expect(create.headers.first { $0.name.lowercased() == "idempotency-key" }?.value == refundID)

            let second = try await A.refund(world, seller, order: orderID)
            #expect(second.status == .conflict)
            #expect(second.errorCode == "refund_in_progress")

            #expect(try await A.settleRefund(world, refundID, "succeeded").status == .ok)
            #expect(try await A.orderStatus(world, buyer, orderID) == "refunded")
            #expect(try await A.licences(world, buyer).isEmpty)
            #expect(try await A.licences(world, buyer, all: true).first?["status"] as? String == "revoked")
            #expect(try await A.download(world, buyer, track: track) == .forbidden)
            #expect(try await A.balance(world, seller) == 0)
            let transfers = try await A.transfers(world, order: orderID)
            #expect(transfers.map(\.status) == [.reversalPending])
            #expect(transfers.first?.nextRetryAt != nil)

            // Redeliveries of a terminal refund change nothing; a refunded order is not refundable.
            #expect(try await A.settleRefund(world, refundID, "succeeded").status == .ok)
            #expect(try await A.balance(world, seller) == 0)
            let again = try await A.refund(world, buyer, order: orderID)
            #expect(again.status == .conflict)
            #expect(again.errorCode == "not_refundable")
        }
    }

    @Test(
        "refund_failed puts the order back; a provider error fails the refund at once",
        arguments: DatabaseEngine.allCases
    )
    func failures(engine: DatabaseEngine) async throws {
        try await A.with(engine) { world in
            let (seller, buyer, track, orderID) = try await Self.paidOrder(world)
            let first = try await A.refund(world, buyer, order: orderID)
            let refundID = try #require((first.json["refund"] as? [String: Any])?["id"] as? String)
            #expect(try await A.settleRefund(world, refundID, "failed").status == .ok)
            #expect(try await A.orderStatus(world, buyer, orderID) == "completed")
            #expect(try await A.licences(world, buyer).count == 1)
            #expect(try await A.balance(world, seller) == 900)

            // The provider refuses the next call (and the read back finds nothing): 502, back to completed.
            world.hyperswitch.failNext(2, status: 400)
            let refused = try await A.refund(world, seller, order: orderID)
            #expect(refused.status == .badGateway)
            #expect(refused.errorCode == "payment_provider_failed")
            #expect(try await A.orderStatus(world, buyer, orderID) == "completed")
            let allowed = try await A.download(world, buyer, track: track)
            #expect(allowed == .ok || allowed == .found)

            // The buyer may ask again.
            #expect(try await A.refund(world, buyer, order: orderID).status == .accepted)
        }
    }

    @Test(
        "concurrent refund requests: one refund; concurrent shuffled refund webhooks: one debit",
        arguments: DatabaseEngine.allCases
    )
    func concurrency(engine: DatabaseEngine) async throws {
        try await A.with(engine) { world in
            let (seller, buyer, _, orderID) = try await Self.paidOrder(world)
            // Other earnings of the seller, so that a double debit would show (the debit clamps at zero).
            let balances = BalanceRepository(database: world.components.database)
            try await world.components.database.transaction { connection in
                try await balances.credit(
                    sellerID: seller.id,
                    currency: "USD",
                    amountCents: 5000,
                    now: Date(),
                    on: connection
                )
            }
            let answers = try await withThrowingTaskGroup(of: M.Answer.self) { group in
                for index in 0..<8 {
                    group.addTask { try await A.refund(world, index % 2 == 0 ? buyer : seller, order: orderID) }
                }
                return try await group.reduce(into: [M.Answer]()) { $0.append($1) }
            }
            let accepted = answers.filter { $0.status == .accepted }
            #expect(accepted.count == 1)
            #expect(answers.filter { $0.status == .conflict }.allSatisfy { $0.errorCode == "refund_in_progress" })
            #expect(answers.allSatisfy { $0.status == .accepted || $0.status == .conflict })
            #expect(try await A.count(world, "marketplace_refunds") == 1)
            #expect(world.hyperswitch.refunds.count == 1)

            let refundID = try #require((accepted.first?.json["refund"] as? [String: Any])?["id"] as? String)
            world.hyperswitch.setRefundStatus(refundID, "succeeded")
            let one = try #require(world.hyperswitch.webhook(forRefund: refundID))
            var deliveries = Array(repeating: one, count: 16)
            for _ in 0..<16 { deliveries.append(try #require(world.hyperswitch.webhook(forRefund: refundID))) }
            deliveries.shuffle()
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for webhook in deliveries { group.addTask { try await M.deliver(webhook, world.client).status } }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .ok || $0 == .serviceUnavailable })
            #expect(try await A.orderStatus(world, buyer, orderID) == "refunded")
            #expect(try await A.balance(world, seller) == 5000)
            #expect(try await A.transfers(world, order: orderID).map(\.status) == [.reversalPending])
        }
    }

    @Test("outside REFUND_WINDOW: 409; an unpaid order: 409", arguments: DatabaseEngine.allCases)
    func window(engine: DatabaseEngine) async throws {
        try await A.with(engine, environment: ["REFUND_WINDOW": "1s"]) { world in
            let (_, buyer, _, orderID) = try await Self.paidOrder(world)
            try await Task.sleep(for: .milliseconds(1100))
            let late = try await A.refund(world, buyer, order: orderID)
            #expect(late.status == .conflict)
            #expect(late.errorCode == "refund_window_closed")
            #expect(try await A.orderStatus(world, buyer, orderID) == "completed")

            let seller = try await A.seller(world)
            let track = try await A.track(world, owner: seller.id)
            let basic = try A.licence(try await A.list(world, seller, track: track), "basic")
            let unpaid = try A.orderID(try await A.buy(world, buyer, licence: basic))
            let refused = try await A.refund(world, buyer, order: unpaid)
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "not_refundable")
        }
    }

    @Test("a refund webhook for an unknown refund answers 200", arguments: DatabaseEngine.allCases)
    func unknownRefund(engine: DatabaseEngine) async throws {
        try await A.with(engine) { world in
            let foreign = try await M.foreignPayment(world.hyperswitch)
            world.hyperswitch.setPaymentStatus(foreign, "succeeded")
            let refundID = UUID().uuidString.lowercased()
            var request = HTTPClientRequest(url: world.hyperswitch.url.absoluteString + "/refunds")
            request.method = .POST
            request.headers.add(name: "api-key", value: world.hyperswitch.apiKey)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Idempotency-Key", value: refundID)
            request.body = .bytes(ByteBuffer(string: #"{"payment_id":"\#(foreign)","refund_id":"\#(refundID)"}"#))
            #expect(try await HTTPClient.shared.execute(request, timeout: .seconds(5)).status == .ok)
            world.hyperswitch.setRefundStatus(refundID, "succeeded")
            let webhook = try #require(world.hyperswitch.webhook(forRefund: refundID))
            #expect(try await M.deliver(webhook, world.client).status == .ok)
            #expect(try await A.count(world, "marketplace_refunds") == 0)
        }
    }
}
