import Foundation
import Marketplace
import SQLKit
import TestSupport
import Testing

@testable import StreamServer

/// A failure at each boundary of the money loop, finished by the app's own workers (transfer
/// retry, reversal, reconcile — all ticking every second here), never by the test.
///
/// Two kinds of failure: a step's error forced at the fake provider (a 500 from Stripe, a lost
/// webhook), and a process killed between two steps. Each step commits before the next starts,
/// so a kill leaves exactly the committed rows; the kill cases write that state with SQL (the
/// row as the last commit left it, aged past the workers' thresholds) and let the workers on.
@Suite("Marketplace crash recovery")
struct MarketplaceCrashTests {
    typealias A = MarketTestApp
    typealias M = MoneyTestApp
    typealias E = MoneyEndToEndTests

    /// A paid basic order whose payout completed: (seller, buyer, track, order id, transfer).
    static func paidOrder(_ world: A.World) async throws -> (M.Caller, M.Caller, UUID, String, SellerTransfer) {
        let (seller, buyer, track, orderID) = try await RefundRouteTests.paidOrder(world)
        let paidOut = try await A.eventually {
            try await A.transfers(world, order: orderID).first?.status == .completed
        }
        #expect(paidOut)
        let transfer = try #require(try await A.transfers(world, order: orderID).first)
        return (seller, buyer, track, orderID, transfer)
    }

    static let anHourAgo = Date().addingTimeInterval(-3600)

    @Test(
        "the payment webhook never arrives: the reconciler completes the order and pays out",
        arguments: DatabaseEngine.allCases
    )
    func lostPaymentWebhook(engine: DatabaseEngine) async throws {
        try await A.with(engine, environment: E.fastWorkers) { world in
            let seller = try await A.seller(world)
            let track = try await A.track(world, owner: seller.id)
            let basic = try A.licence(try await A.list(world, seller, track: track), "basic")
            let buyer = try await M.Caller.make()
            let placed = try await A.buy(world, buyer, licence: basic)
            let orderID = try A.orderID(placed)
            world.hyperswitch.setPaymentStatus(try A.paymentID(placed), "succeeded")

            #expect(try await A.eventually { try await A.orderStatus(world, buyer, orderID) == "completed" })
            #expect(try await A.licences(world, buyer).count == 1)
            #expect(try await A.balance(world, seller) == 900)
            #expect(try await A.eventually { try await A.transfers(world, order: orderID).first?.status == .completed })
            #expect(world.stripe.transfers.count == 1)
        }
    }

    @Test(
        "Stripe fails the payout after the payment's commit: the retry worker pays it once",
        arguments: DatabaseEngine.allCases
    )
    func payoutError(engine: DatabaseEngine) async throws {
        try await A.with(engine, environment: E.fastWorkers) { world in
            // More failures than the client's four attempts: the first send gives up, the worker's succeeds.
            world.stripe.failNext(5, of: .createTransfer)
            let (seller, _, _, orderID) = try await RefundRouteTests.paidOrder(world)
            #expect(try await A.eventually { try await A.transfers(world, order: orderID).first?.status == .completed })
            let transfer = try #require(try await A.transfers(world, order: orderID).first)
            // Five refused attempts (the sender's four, the worker's first), then the one that paid.
            #expect(world.stripe.requests(withIdempotencyKey: transfer.id.uuidString.lowercased()).count == 6)
            #expect(world.stripe.transfers.count == 1)
            #expect(world.stripe.executions(ofIdempotencyKey: transfer.id.uuidString.lowercased()) == 1)
            #expect(try await A.balance(world, seller) == 900)
        }
    }

    @Test(
        "killed after Stripe made the payout, before its id was stored: sent again under the same key, paid once",
        arguments: DatabaseEngine.allCases
    )
    func killedAfterPayoutCall(engine: DatabaseEngine) async throws {
        try await A.with(engine, environment: E.fastWorkers) { world in
            let (_, _, _, orderID, paid) = try await Self.paidOrder(world)
            let stripeID = try #require(paid.stripeTransferID)
            // What the payment's commit left: the row `pending`, no Stripe id, nobody sending it.
            try await world.components.database.sql.raw(
                """
                UPDATE marketplace_transfers SET status = 'pending', stripe_transfer_id = NULL, next_retry_at = NULL,
                    created_at = \(bind: Self.anHourAgo), updated_at = \(bind: Self.anHourAgo)
                WHERE id = \(bind: paid.id)
                """
            ).run()

            #expect(try await A.eventually { try await A.transfers(world, order: orderID).first?.status == .completed })
            let transfer = try #require(try await A.transfers(world, order: orderID).first)
            // Stripe replayed its first answer: the same transfer, executed once.
            #expect(transfer.stripeTransferID == stripeID)
            #expect(world.stripe.transfers.count == 1)
            #expect(world.stripe.executions(ofIdempotencyKey: paid.id.uuidString.lowercased()) == 1)
        }
    }

    @Test(
        "killed between refund phases 1 and 2: the orphan fails, the order is completed again, the buyer may retry",
        arguments: DatabaseEngine.allCases
    )
    func killedBeforeRefundCall(engine: DatabaseEngine) async throws {
        try await A.with(engine, environment: E.fastWorkers) { world in
            let (seller, buyer, track, orderID, _) = try await Self.paidOrder(world)
            let order = try #require(UUID(uuidString: orderID))
            let sql = world.components.database.sql
            // Phase 1's commit, and nothing after it.
            try await sql.raw(
                """
                INSERT INTO marketplace_refunds (id, order_id, amount_cents, currency, status, provider_refund_id,
                    created_at, updated_at)
                VALUES (\(bind: UUID()), \(bind: order), \(bind: Int64(1000)), 'USD', 'pending', NULL,
                    \(bind: Self.anHourAgo), \(bind: Self.anHourAgo))
                """
            ).run()
            try await sql.raw("UPDATE marketplace_orders SET status = 'refund_pending' WHERE id = \(bind: order)").run()

            #expect(try await A.eventually { try await A.orderStatus(world, buyer, orderID) == "completed" })
            #expect(try await A.licences(world, buyer).count == 1)
            let allowed = try await A.download(world, buyer, track: track)
            #expect(allowed == .ok || allowed == .found)
            #expect(try await A.balance(world, seller) == 900)
            #expect(world.hyperswitch.requests.filter { $0.path == "/refunds" && $0.method == "POST" }.isEmpty)
            #expect(try await A.refund(world, buyer, order: orderID).status == .accepted)
        }
    }

    @Test(
        "killed after the provider took the refund, before its id was stored, and the webhook lost: applied once",
        arguments: DatabaseEngine.allCases
    )
    func killedAfterRefundCall(engine: DatabaseEngine) async throws {
        try await A.with(engine, environment: E.fastWorkers) { world in
            let (seller, buyer, track, orderID, _) = try await Self.paidOrder(world)
            let asked = try await A.refund(world, buyer, order: orderID)
            let refundID = try #require((asked.json["refund"] as? [String: Any])?["id"] as? String)
            let refund = try #require(UUID(uuidString: refundID))
            try await world.components.database.sql.raw(
                """
                UPDATE marketplace_refunds SET provider_refund_id = NULL, created_at = \(bind: Self.anHourAgo),
                    updated_at = \(bind: Self.anHourAgo)
                WHERE id = \(bind: refund)
                """
            ).run()
            world.hyperswitch.setRefundStatus(refundID, "succeeded")

            #expect(try await A.eventually { try await A.orderStatus(world, buyer, orderID) == "refunded" })
            #expect(try await A.licences(world, buyer).isEmpty)
            #expect(try await A.download(world, buyer, track: track) == .forbidden)
            #expect(try await A.balance(world, seller) == 0)
            #expect(try await A.eventually { try await A.transfers(world, order: orderID).first?.status == .reversed })
            #expect(world.stripe.reversals.count == 1)
            #expect(world.hyperswitch.requests.filter { $0.path == "/refunds" && $0.method == "POST" }.count == 1)
        }
    }

    @Test(
        "the refund webhook never arrives and Stripe fails the reversal twice: reconciled, then reversed once",
        arguments: DatabaseEngine.allCases
    )
    func lostRefundWebhookAndReversalErrors(engine: DatabaseEngine) async throws {
        try await A.with(engine, environment: E.fastWorkers) { world in
            let (seller, buyer, _, orderID, paid) = try await Self.paidOrder(world)
            world.stripe.failNext(2, of: .reverseTransfer)
            let asked = try await A.refund(world, buyer, order: orderID)
            let refundID = try #require((asked.json["refund"] as? [String: Any])?["id"] as? String)
            world.hyperswitch.setRefundStatus(refundID, "succeeded")

            #expect(try await A.eventually { try await A.orderStatus(world, buyer, orderID) == "refunded" })
            #expect(try await A.balance(world, seller) == 0)
            #expect(try await A.eventually { try await A.transfers(world, order: orderID).first?.status == .reversed })
            let transfer = try #require(try await A.transfers(world, order: orderID).first)
            #expect(transfer.retryCount >= 1)
            #expect(world.stripe.reversals.count == 1)
            #expect(world.stripe.executions(ofIdempotencyKey: paid.id.uuidString.lowercased() + ":reversal") == 1)
        }
    }
}
