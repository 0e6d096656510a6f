import Foundation
import HTTPTypes
import Marketplace
import TestSupport
import Testing

@testable import StreamServer

/// The whole money loop through the HTTP routes, with the app's own workers running: list, buy,
/// the signed payment webhook, the licence and the download, the seller's payout at Stripe, the
/// refund, its webhook, and the reversal the worker makes at Stripe.
@Suite("Marketplace end to end")
struct MoneyEndToEndTests {
    typealias A = MarketTestApp
    typealias M = MoneyTestApp

    /// Workers and reconciler ticking every second, so a test waits seconds, not minutes.
    static let fastWorkers = [
        "TRANSFER_RETRY_INTERVAL": "1s", "TRANSFER_BACKOFF_BASE": "1s", "TRANSFER_BACKOFF_MAX": "1s",
        "REVERSAL_CHECK_INTERVAL": "1s", "REVERSAL_BACKOFF_BASE": "1s", "REVERSAL_BACKOFF_MAX": "2s",
        "RECONCILE_MARKETPLACE_INTERVAL": "1s", "RECONCILE_ORDER_STUCK_AFTER": "1s",
        "RECONCILE_REFUND_STUCK_AFTER": "1s", "RECONCILE_REFUND_ORPHAN_AFTER": "1s",
    ]

    /// The seller's transfers as `GET /marketplace/seller/transfers` shows them.
    static func sellerTransfers(_ world: A.World, _ seller: M.Caller) async throws -> [[String: Any]] {
        let answer = try await M.call(world.client, .get, "/api/v1/marketplace/seller/transfers", as: seller)
        #expect(answer.status == .ok)
        return answer.json["transfers"] as? [[String: Any]] ?? []
    }

    static func sellerBalance(_ world: A.World, _ seller: M.Caller) async throws -> Int? {
        let answer = try await M.call(world.client, .get, "/api/v1/marketplace/seller/balance", as: seller)
        #expect(answer.status == .ok)
        return (answer.json["balance"] as? [String: Any])?["amount_cents"] as? Int
    }

    @Test(
        "list, buy, webhook, licence, download, payout, refund, webhook, revoked, debited, reversed",
        arguments: DatabaseEngine.allCases
    )
    func moneyLoop(engine: DatabaseEngine) async throws {
        try await A.with(engine, environment: Self.fastWorkers) { world in
            let seller = try await A.seller(world)
            let account = "acct_e2e" + String(seller.id.uuidString.prefix(8)).lowercased()
            let linked = try await M.call(
                world.client,
                .put,
                "/api/v1/marketplace/seller/account",
                as: seller,
                json: #"{"stripe_account_id":"\#(account)"}"#
            )
            #expect(linked.status == .ok)
            let track = try await A.track(world, owner: seller.id)
            let listed = try await A.list(world, seller, track: track)
            #expect(listed.status == .created)
            let basic = try A.licence(listed, "basic")

            let buyer = try await M.Caller.make()
            #expect(try await A.download(world, buyer, track: track) == .forbidden)
            let placed = try await A.buy(world, buyer, licence: basic)
            #expect(placed.status == .created)
            let orderID = try A.orderID(placed)
            let paymentID = try A.paymentID(placed)
            // Nothing is granted before the payment is confirmed.
            #expect(try await A.licences(world, buyer).isEmpty)
            #expect(try await A.download(world, buyer, track: track) == .forbidden)
            #expect(try await Self.sellerBalance(world, seller) == 0)

            #expect(
                try await M.settle(paymentID, "succeeded", fake: world.hyperswitch, client: world.client).status == .ok
            )
            #expect(try await A.orderStatus(world, buyer, orderID) == "completed")
            #expect(try await A.licences(world, buyer).count == 1)
            let allowed = try await A.download(world, buyer, track: track)
            #expect(allowed == .ok || allowed == .found)
            #expect(try await Self.sellerBalance(world, seller) == 900)
            try await A.paidOut(world, order: orderID)

            // The payout went to the seller's account with the transfer row as its key.
            let paid = try await Self.sellerTransfers(world, seller)
            #expect(paid.count == 1)
            #expect(paid.first?["status"] as? String == "completed")
            let transferID = try #require(paid.first?["id"] as? String)
            let stripeTransferID = try #require(paid.first?["stripe_transfer_id"] as? String)
            #expect(stripeTransferID.hasPrefix("tr_"))
            let atStripe = try #require(world.stripe.transfer(stripeTransferID))
            #expect(atStripe.destination == account)
            #expect(atStripe.amount == 900)
            #expect(world.stripe.executions(ofIdempotencyKey: transferID) == 1)

            let asked = try await A.refund(world, buyer, order: orderID)
            #expect(asked.status == .accepted)
            let refundID = try #require((asked.json["refund"] as? [String: Any])?["id"] as? String)
            #expect(try await A.settleRefund(world, refundID, "succeeded").status == .ok)

            #expect(try await A.orderStatus(world, buyer, orderID) == "refunded")
            #expect(try await A.licences(world, buyer).isEmpty)
            #expect(try await A.download(world, buyer, track: track) == .forbidden)
            #expect(try await Self.sellerBalance(world, seller) == 0)

            // The reversal worker, not the test, reverses the payout at Stripe.
            let reversed = try await A.eventually {
                try await Self.sellerTransfers(world, seller).first?["status"] as? String == "reversed"
            }
            #expect(reversed)
            let row = try #require(try await Self.sellerTransfers(world, seller).first)
            #expect((row["stripe_reversal_id"] as? String)?.hasPrefix("trr_") == true)
            #expect(world.stripe.transfer(stripeTransferID)?.reversed == true)
            #expect(world.stripe.reversals.count == 1)
            #expect(world.stripe.executions(ofIdempotencyKey: transferID + ":reversal") == 1)

            // Nothing further happens on the next ticks.
            try await Task.sleep(for: .milliseconds(2500))
            #expect(world.stripe.reversals.count == 1)
            #expect(world.stripe.transfers.count == 1)
            #expect(try await Self.sellerBalance(world, seller) == 0)
        }
    }
}
