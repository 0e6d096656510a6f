import Foundation
import HTTPTypes
import Marketplace
import SQLKit
import TestSupport
import Testing

@testable import StreamServer

/// The marketplace reconciler: lost webhooks and crashes between phases, finished by a pass that
/// is safe to replay.
@Suite("Marketplace reconcile")
struct ReconcileTests {
    typealias A = MarketTestApp
    typealias M = MoneyTestApp
    static let fast = [
        "RECONCILE_ORDER_STUCK_AFTER": "1s", "RECONCILE_REFUND_STUCK_AFTER": "1s",
        "RECONCILE_REFUND_ORPHAN_AFTER": "1s",
    ]

    static func pass(_ world: A.World) async throws -> MarketplaceReconciler.Report {
        try await world.components.marketplaceReconciler.reconcileOnce()
    }

    @Test("a lost payment webhook: the order completes once", arguments: DatabaseEngine.allCases)
    func stuckOrder(engine: DatabaseEngine) async throws {
        try await A.with(engine, environment: Self.fast) { world in
            let seller = try await A.seller(world)
            let track = try await A.track(world, owner: seller.id)
            let listed = try await A.list(world, seller, track: track)
            let buyer = try await M.Caller.make()
            let paid = try await A.buy(world, buyer, licence: try A.licence(listed, "basic"))
            let failed = try await A.buy(world, try await M.Caller.make(), licence: try A.licence(listed, "exclusive"))
            world.hyperswitch.setPaymentStatus(try A.paymentID(paid), "succeeded")
            world.hyperswitch.setPaymentStatus(try A.paymentID(failed), "failed")
            try await Task.sleep(for: .milliseconds(1100))
            let report = try await Self.pass(world)
            #expect(report.orders == 2)
            #expect(report.applied == 2)
            #expect(try await A.orderStatus(world, buyer, try A.orderID(paid)) == "completed")
            #expect(try await A.orderStatus(world, seller, try A.orderID(failed)) == "failed")
            #expect(try await A.balance(world, seller) == 900)
            try await A.paidOut(world, order: try A.orderID(paid))
            // Replayed, and the late webhook: nothing more.
            #expect(try await Self.pass(world).applied == 0)
            let webhook = try #require(world.hyperswitch.webhook(forPayment: try A.paymentID(paid)))
            #expect(try await M.deliver(webhook, world.client).status == .ok)
            #expect(try await A.balance(world, seller) == 900)
            #expect(world.stripe.transfers.count == 1)
            #expect(try await A.count(world, "marketplace_licence_grants") == 1)
        }
    }

    @Test("an order whose payment was never stored or never made", arguments: DatabaseEngine.allCases)
    func orderWithoutPaymentID(engine: DatabaseEngine) async throws {
        try await A.with(engine, environment: Self.fast) { world in
            let seller = try await A.seller(world)
            let track = try await A.track(world, owner: seller.id)
            let listed = try await A.list(world, seller, track: track)
            let buyer = try await M.Caller.make()
            // Crash after the provider made the payment, before its id was stored.
            let made = try await A.buy(world, buyer, licence: try A.licence(listed, "basic"))
            let madeID = try A.orderID(made)
            try await world.components.database.sql.raw(
                "UPDATE marketplace_orders SET payment_id = NULL WHERE id = \(bind: try #require(UUID(uuidString: madeID)))"
            ).run()
            world.hyperswitch.setPaymentStatus(try A.paymentID(made), "succeeded")
            // Crash before the provider was asked: an exclusive order that blocks everyone else.
            let exclusive = try #require(UUID(uuidString: try A.licence(listed, "exclusive")))
            let productText = (listed.json["product"] as? [String: Any])?["id"] as? String
            let product = try #require(productText.flatMap(UUID.init(uuidString:)))
            let orphan = Order(
                id: UUID(),
                buyerID: buyer.id,
                sellerID: seller.id,
                productID: product,
                licenceID: exclusive,
                licenceKind: .exclusive,
                amountCents: 50000,
                currency: "USD",
                status: .pending,
                paymentID: nil,
                createdAt: Date(),
                paidAt: nil
            )
            try await OrderRepository(database: world.components.database).insert(orphan, now: Date())
            #expect(
                try await A.buy(world, try await M.Caller.make(), licence: exclusive.uuidString.lowercased()).status
                    == .conflict
            )
            try await Task.sleep(for: .milliseconds(1100))
            let report = try await Self.pass(world)
            #expect(report.applied == 2)
            #expect(try await A.orderStatus(world, buyer, madeID) == "completed")
            #expect(try await A.orderStatus(world, buyer, orphan.id.uuidString.lowercased()) == "failed")
            #expect(
                try await A.buy(world, try await M.Caller.make(), licence: exclusive.uuidString.lowercased()).status
                    == .created
            )
        }
    }

    @Test(
        "a lost refund webhook, and orphan refunds from a crash between phases 1 and 2",
        arguments: DatabaseEngine.allCases
    )
    func refunds(engine: DatabaseEngine) async throws {
        try await A.with(engine, environment: Self.fast) { world in
            let (seller, buyer, _, orderID) = try await RefundRouteTests.paidOrder(world)
            let asked = try await A.refund(world, buyer, order: orderID)
            let refundID = try #require((asked.json["refund"] as? [String: Any])?["id"] as? String)
            world.hyperswitch.setRefundStatus(refundID, "succeeded")

            // A second paid order whose refund row exists but whose provider call never happened.
            let (_, otherBuyer, _, otherOrder) = try await RefundRouteTests.paidOrder(world)
            let orphanID = UUID()
            let sql = world.components.database.sql
            let otherUUID = try #require(UUID(uuidString: otherOrder))
            try await sql.raw(
                """
                INSERT INTO marketplace_refunds (id, order_id, amount_cents, currency, status, provider_refund_id,
                    created_at, updated_at)
                VALUES (\(bind: orphanID), \(bind: otherUUID), \(bind: Int64(1000)), 'USD', 'pending', NULL,
                    \(bind: Date()), \(bind: Date()))
                """
            ).run()
            try await sql.raw("UPDATE marketplace_orders SET status = 'refund_pending' WHERE id = \(bind: otherUUID)")
                .run()

            try await Task.sleep(for: .milliseconds(1100))
            let report = try await Self.pass(world)
            #expect(report.refunds == 1)
            #expect(report.orphans == 1)
            #expect(report.applied == 2)
            #expect(try await A.orderStatus(world, buyer, orderID) == "refunded")
            #expect(try await A.balance(world, seller) == 0)
            #expect(try await A.transfers(world, order: orderID).map(\.status) == [.reversalPending])
            #expect(try await A.orderStatus(world, otherBuyer, otherOrder) == "completed")
            #expect(try await A.licences(world, otherBuyer).count == 1)
            // Replayed: nothing; the late webhook of the settled refund: nothing.
            #expect(try await Self.pass(world).applied == 0)
            #expect(try await A.settleRefund(world, refundID, "succeeded").status == .ok)
            #expect(try await A.orderStatus(world, buyer, orderID) == "refunded")
            // The buyer of the orphan may ask again.
            #expect(try await A.refund(world, otherBuyer, order: otherOrder).status == .accepted)
        }
    }
}
