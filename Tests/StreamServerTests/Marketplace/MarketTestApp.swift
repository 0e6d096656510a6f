import Catalog
import Database
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Marketplace
import SQLKit
import TestSupport
import Testing

@testable import StreamServer

/// The app behind a ``FakeHyperswitch`` and a ``FakeStripe``, and the marketplace's steps as the
/// routes take them: list, buy, pay, refund. The lead's end-to-end and storm tests reuse these.
enum MarketTestApp {
    typealias M = MoneyTestApp

    /// What a test gets: the app, its client and both fakes.
    struct World: Sendable {
        let components: AppServices
        let client: any TestClientProtocol
        let hyperswitch: FakeHyperswitch
        let stripe: FakeStripe
    }

    static func with(
        _ engine: DatabaseEngine,
        live: Bool = false,
        environment: [String: String] = [:],
        _ body: @Sendable (World) async throws -> Void
    ) async throws {
        let stripe = try await FakeStripe.start()
        do {
            var env = environment
            env["STRIPE_URL"] = stripe.url.absoluteString
            env["STRIPE_SECRET_KEY"] = stripe.secretKey
            try await M.with(engine, live: live, environment: env) { components, client, fake in
                try await body(
                    World(components: components, client: client, hyperswitch: try #require(fake), stripe: stripe)
                )
            }
        } catch {
            await stripe.shutdown()
            throw error
        }
        await stripe.shutdown()
    }

    /// A user on the `creator` plan (which has `sell`), paid through the fake, with a Connect account.
    static func seller(_ world: World) async throws -> M.Caller {
        let seller = try await M.Caller.make()
        let payment = try #require(
            try await M.subscribe(world.client, seller, plan: "creator").payment?["payment_id"] as? String
        )
        try await M.settle(payment, "succeeded", fake: world.hyperswitch, client: world.client)
        try await SellerAccountRepository(database: world.components.database).upsert(
            sellerID: seller.id,
            stripeAccountID: "acct_" + String(seller.id.uuidString.prefix(8)).lowercased(),
            now: Date()
        )
        return seller
    }

    /// A ready public track of `owner`.
    static func track(_ world: World, owner: UUID, status: TrackStatus = .ready) async throws -> UUID {
        try await storeTrack(world.components, bytes: Array("RIFF-original".utf8), status: status, owner: owner).id
    }

    static func licencesJSON(_ licences: [(String, Int64, String)]) -> String {
        "["
            + licences.map { #"{"kind":"\#($0.0)","price_cents":\#($0.1),"currency":"\#($0.2)"}"# }
            .joined(separator: ",") + "]"
    }

    static func list(
        _ world: World,
        _ seller: M.Caller,
        track: UUID,
        _ licences: [(String, Int64, String)] = [("basic", 1000, "usd"), ("exclusive", 50000, "usd")]
    ) async throws -> M.Answer {
        try await M.call(
            world.client,
            .post,
            "/api/v1/marketplace/products",
            as: seller,
            json: #"{"track_id":"\#(track.uuidString.lowercased())","licences":\#(Self.licencesJSON(licences))}"#
        )
    }

    /// The licence id of `kind` in a product answer.
    static func licence(_ answer: M.Answer, _ kind: String) throws -> String {
        let product = try #require(answer.json["product"] as? [String: Any])
        let licences = try #require(product["licences"] as? [[String: Any]])
        return try #require(licences.first { $0["kind"] as? String == kind }?["id"] as? String)
    }

    static func buy(_ world: World, _ buyer: M.Caller, licence: String) async throws -> M.Answer {
        try await M.call(
            world.client,
            .post,
            "/api/v1/marketplace/orders",
            as: buyer,
            json: #"{"licence_id":"\#(licence)"}"#
        )
    }

    static func orderID(_ answer: M.Answer) throws -> String {
        try #require((answer.json["order"] as? [String: Any])?["id"] as? String)
    }

    static func paymentID(_ answer: M.Answer) throws -> String {
        try #require(answer.payment?["payment_id"] as? String)
    }

    static func order(_ world: World, _ caller: M.Caller, _ id: String) async throws -> M.Answer {
        try await M.call(world.client, .get, "/api/v1/marketplace/orders/\(id)", as: caller)
    }

    static func orderStatus(_ world: World, _ caller: M.Caller, _ id: String) async throws -> String? {
        (try await self.order(world, caller, id).json["order"] as? [String: Any])?["status"] as? String
    }

    static func refund(_ world: World, _ caller: M.Caller, order: String) async throws -> M.Answer {
        try await M.call(world.client, .post, "/api/v1/marketplace/orders/\(order)/refund", as: caller)
    }

    /// The provider settles the refund and sends its webhook.
    @discardableResult
    static func settleRefund(_ world: World, _ refundID: String, _ status: String) async throws -> M.Answer {
        world.hyperswitch.setRefundStatus(refundID, status)
        let webhook = try #require(world.hyperswitch.webhook(forRefund: refundID))
        return try await M.deliver(webhook, world.client)
    }

    static func licences(_ world: World, _ caller: M.Caller, all: Bool = false) async throws -> [[String: Any]] {
        let answer = try await M.call(world.client, .get, "/api/v1/me/licences" + (all ? "?all=1" : ""), as: caller)
        return answer.json["licences"] as? [[String: Any]] ?? []
    }

    static func download(_ world: World, _ caller: M.Caller, track: UUID) async throws -> HTTPResponse.Status {
        try await M.call(world.client, .get, "/api/v1/tracks/\(track.uuidString.lowercased())/download", as: caller)
            .status
    }

    static func balance(_ world: World, _ seller: M.Caller, currency: String = "USD") async throws -> Int64 {
        try await BalanceRepository(database: world.components.database).balance(
            sellerID: seller.id,
            currency: currency
        )
    }

    static func transfers(_ world: World, order: String) async throws -> [SellerTransfer] {
        try await TransferRepository(database: world.components.database).forOrder(
            try #require(UUID(uuidString: order))
        )
    }

    static func count(_ world: World, _ table: String) async throws -> Int {
        try await M.count(world.components, table)
    }

    /// Polls `condition` every 200 ms until it holds or `seconds` pass; the workers run on their
    /// own clock, so a test waits for the state, never for a fixed time.
    static func eventually(
        within seconds: Double = 20,
        _ condition: @Sendable () async throws -> Bool
    ) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return try await condition()
    }

    /// Waits until every payout of `order` is `completed` (the payout queue sends them after the
    /// payment's commit, off the webhook's request).
    static func paidOut(_ world: World, order: String) async throws {
        let done = try await Self.eventually {
            let transfers = try await Self.transfers(world, order: order)
            return !transfers.isEmpty && transfers.allSatisfy { $0.status == .completed }
        }
        #expect(done, "the payout of order \(order)")
    }
}
