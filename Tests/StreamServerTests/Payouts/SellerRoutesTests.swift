import Database
import Foundation
import HTTPTypes
import HummingbirdTesting
import Marketplace
import NIOCore
import TestSupport
import Testing
import VezaAPI

@testable import StreamServer

@Suite("Seller payout routes")
struct SellerRoutesTests {
    typealias Caller = MoneyTestApp.Caller

    /// The app with Stripe pointed at a fake.
    static func with(
        _ engine: DatabaseEngine,
        _ body: @Sendable (AppServices, any TestClientProtocol, FakeStripe) async throws -> Void
    ) async throws {
        try await FakeStripe.with { fake in
            let env = ["STRIPE_URL": fake.url.absoluteString, "STRIPE_SECRET_KEY": fake.secretKey]
            try await TestApp.with(engine, environment: env) { components, client in
                try await body(components, client, fake)
            }
        }
    }

    static func call(
        _ client: any TestClientProtocol,
        _ method: HTTPRequest.Method,
        _ uri: String,
        as caller: Caller? = nil,
        json: String? = nil
    ) async throws -> MoneyTestApp.Answer {
        try await MoneyTestApp.call(client, method, uri, as: caller, json: json)
    }

    /// A transfer row of a new order of `seller` in `status` (pending or failed).
    static func transfer(
        _ components: AppServices,
        seller: UUID,
        failed: Bool = false
    ) async throws -> SellerTransfer {
        let now = Date()
        let (order, _) = try await PayoutFixture.seedOrder(on: components.database, seller: seller, now: now)
        let row = SellerTransfer(
            id: UUID(),
            orderID: order,
            sellerID: seller,
            amountCents: 900,
            currency: "USD",
            now: now
        )
        let repository = TransferRepository(database: components.database)
        try await repository.insert(row)
        guard failed else { return row }
        return try await repository.transition(
            row.id,
            from: .pending,
            to: .failed,
            changes: .init(
                retryCount: 1,
                nextRetryAt: .some(now.addingTimeInterval(3600)),
                lastError: .some("no account")
            ),
            now: now
        )
    }

    static func balance(_ answer: MoneyTestApp.Answer) -> SellerBalanceResponse.Balance? {
        try? JSONDecoder().decode(SellerBalanceResponse.self, from: Data(answer.body.readableBytesView)).balance
    }

    @Test("every seller route needs a token", arguments: DatabaseEngine.allCases)
    func unauthenticated(engine: DatabaseEngine) async throws {
        try await Self.with(engine) { _, client, _ in
            for (method, uri) in [
                (HTTPRequest.Method.put, "/api/v1/marketplace/seller/account"),
                (.get, "/api/v1/marketplace/seller/balance"),
                (.get, "/api/v1/marketplace/seller/transfers"),
                (.post, "/api/v1/admin/transfers/\(UUID().uuidString.lowercased())/retry"),
            ] {
                let answer = try await Self.call(client, method, uri, json: #"{"stripe_account_id":"acct_1X"}"#)
                #expect(answer.status == .unauthorized, "\(method) \(uri)")
                #expect(answer.errorCode == "unauthorized")
            }
        }
    }

    @Test("PUT account validates the id, stores it and makes failed payouts due", arguments: DatabaseEngine.allCases)
    func account(engine: DatabaseEngine) async throws {
        try await Self.with(engine) { components, client, _ in
            let seller = try await Caller.make()
            let uri = "/api/v1/marketplace/seller/account"
            for bad in [
                #"{"stripe_account_id":"bogus"}"#, #"{"stripe_account_id":"acct_"}"#,
                #"{"stripe_account_id":"acct_1 2"}"#, #"{"stripe_account_id":"acct_1\u00e9"}"#,
            ] {
                let answer = try await Self.call(client, .put, uri, as: seller, json: bad)
                #expect(answer.status == .badRequest, "\(bad)")
                #expect(answer.errorCode == "invalid_stripe_account_id", "\(bad)")
            }
            for bad in [#"{}"#, #"{"stripe_account_id":7}"#, "not json"] {
                let answer = try await Self.call(client, .put, uri, as: seller, json: bad)
                #expect(answer.status == .badRequest && answer.errorCode == "invalid_json", "\(bad)")
            }
            let accounts = SellerAccountRepository(database: components.database)
            #expect(try await accounts.find(sellerID: seller.id) == nil)
            let failed = try await Self.transfer(components, seller: seller.id, failed: true)
            let answer = try await Self.call(
                client,
                .put,
                uri,
                as: seller,
                json: #"{"stripe_account_id":"acct_1Seller"}"#
            )
            #expect(answer.status == .ok)
            #expect((answer.json["account"] as? [String: Any])?["stripe_account_id"] as? String == "acct_1Seller")
            #expect(try await accounts.find(sellerID: seller.id) == "acct_1Seller")
            let due = try #require(try await TransferRepository(database: components.database).find(failed.id))
            #expect(due.status == .failed && (due.nextRetryAt ?? .distantFuture) <= Date())
            // Replaced by a second PUT.
            _ = try await Self.call(client, .put, uri, as: seller, json: #"{"stripe_account_id":"acct_2Seller"}"#)
            #expect(try await accounts.find(sellerID: seller.id) == "acct_2Seller")
        }
    }

    @Test("GET balance: 0 USD at first, then the credited amount, per currency", arguments: DatabaseEngine.allCases)
    func balance(engine: DatabaseEngine) async throws {
        try await Self.with(engine) { components, client, _ in
            let seller = try await Caller.make()
            let uri = "/api/v1/marketplace/seller/balance"
            var answer = try await Self.call(client, .get, uri, as: seller)
            #expect(answer.status == .ok)
            #expect(Self.balance(answer) == .init(amountCents: 0, currency: "USD"))
            let balances = BalanceRepository(database: components.database)
            try await components.database.transaction { connection in
                try await balances.credit(
                    sellerID: seller.id,
                    currency: "eur",
                    amountCents: 900,
                    now: Date(),
                    on: connection
                )
            }
            answer = try await Self.call(client, .get, uri, as: seller)
            #expect(Self.balance(answer) == .init(amountCents: 900, currency: "EUR"))
            answer = try await Self.call(client, .get, uri + "?currency=usd", as: seller)
            #expect(Self.balance(answer) == .init(amountCents: 0, currency: "USD"))
            answer = try await Self.call(client, .get, uri + "?currency=EUR", as: seller)
            #expect(Self.balance(answer) == .init(amountCents: 900, currency: "EUR"))
            for bad in ["12", "EURO", "%C3%A9ur"] {
                answer = try await Self.call(client, .get, uri + "?currency=" + bad, as: seller)
                #expect(answer.status == .badRequest && answer.errorCode == "invalid_currency", "\(bad)")
            }
            // Someone else's balance is not the caller's.
            let other = try await Caller.make()
            answer = try await Self.call(client, .get, uri, as: other)
            #expect(Self.balance(answer) == .init(amountCents: 0, currency: "USD"))
        }
    }

    @Test("GET transfers lists the caller's own, newest first", arguments: DatabaseEngine.allCases)
    func transfers(engine: DatabaseEngine) async throws {
        try await Self.with(engine) { components, client, _ in
            let seller = try await Caller.make()
            let first = try await Self.transfer(components, seller: seller.id)
            try await Task.sleep(for: .milliseconds(5))
            let second = try await Self.transfer(components, seller: seller.id, failed: true)
            _ = try await Self.transfer(components, seller: UUID())
            let answer = try await Self.call(client, .get, "/api/v1/marketplace/seller/transfers", as: seller)
            #expect(answer.status == .ok)
            let rows = try #require(answer.json["transfers"] as? [[String: Any]])
            #expect(rows.map { $0["id"] as? String } == [second.id, first.id].map { $0.uuidString.lowercased() })
            let row = try #require(rows.last)
            #expect(
                Set(row.keys) == [
                    "id", "order_id", "amount_cents", "currency", "status", "stripe_transfer_id", "stripe_reversal_id",
                ]
            )
            #expect(row["order_id"] as? String == first.orderID.uuidString.lowercased())
            #expect(row["amount_cents"] as? Int == 900 && row["status"] as? String == "pending")
            #expect(row["stripe_transfer_id"] is NSNull && row["stripe_reversal_id"] is NSNull)
        }
    }

    @Test("admin retry: admins only, failed rows paid now, others refused", arguments: DatabaseEngine.allCases)
    func adminRetry(engine: DatabaseEngine) async throws {
        try await Self.with(engine) { components, client, fake in
            let admin = try await Caller.make(role: .admin)
            let user = try await Caller.make()
            let seller = UUID()
            let failed = try await Self.transfer(components, seller: seller, failed: true)
            let uri = "/api/v1/admin/transfers/\(failed.id.uuidString.lowercased())/retry"
            var answer = try await Self.call(client, .post, uri, as: user)
            #expect(answer.status == .forbidden && answer.errorCode == "forbidden")
            for missing in [UUID().uuidString.lowercased(), "not-a-uuid"] {
                answer = try await Self.call(client, .post, "/api/v1/admin/transfers/\(missing)/retry", as: admin)
                #expect(answer.status == .notFound && answer.errorCode == "not_found")
            }
            let pending = try await Self.transfer(components, seller: seller)
            answer = try await Self.call(
                client,
                .post,
                "/api/v1/admin/transfers/\(pending.id.uuidString.lowercased())/retry",
                as: admin
            )
            #expect(answer.status == .conflict && answer.errorCode == "transfer_not_retryable")
            // Still no account: tried now, failed again.
            answer = try await Self.call(client, .post, uri, as: admin)
            #expect(answer.status == .ok)
            var transfer = try #require(answer.json["transfer"] as? [String: Any])
            #expect(transfer["status"] as? String == "failed")
            #expect(try await TransferRepository(database: components.database).find(failed.id)?.retryCount == 2)
            #expect(fake.requests.isEmpty)
            try await SellerAccountRepository(database: components.database)
                .upsert(sellerID: seller, stripeAccountID: "acct_1Admin", now: Date())
            answer = try await Self.call(client, .post, uri, as: admin)
            transfer = try #require(answer.json["transfer"] as? [String: Any])
            #expect(transfer["status"] as? String == "completed")
            let trID = try #require(transfer["stripe_transfer_id"] as? String)
            #expect(fake.transfer(trID)?.destination == "acct_1Admin")
            answer = try await Self.call(client, .post, uri, as: admin)
            #expect(answer.status == .conflict && answer.errorCode == "transfer_not_retryable")
        }
    }
}

@Suite("Seller balances")
struct BalanceRepositoryTests {
    @Test("credits add up, debits clamp at zero, currencies are apart", arguments: DatabaseEngine.allCases)
    func clamped(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: PayoutFixture.migrations) { database in
            let balances = BalanceRepository(database: database)
            let seller = UUID()
            let now = Date()
            try await database.transaction { c in
                try await balances.credit(sellerID: seller, currency: "USD", amountCents: 500, now: now, on: c)
                try await balances.credit(sellerID: seller, currency: "usd", amountCents: 400, now: now, on: c)
                try await balances.credit(sellerID: seller, currency: "EUR", amountCents: 100, now: now, on: c)
            }
            #expect(try await balances.balance(sellerID: seller, currency: "USD") == 900)
            try await database.transaction { c in
                try await balances.debitClamped(sellerID: seller, currency: "USD", amountCents: 300, now: now, on: c)
            }
            #expect(try await balances.balance(sellerID: seller, currency: "usd") == 600)
            try await database.transaction { c in
                try await balances.debitClamped(sellerID: seller, currency: "USD", amountCents: 10_000, now: now, on: c)
                // A seller never credited stays without a row.
                try await balances.debitClamped(sellerID: UUID(), currency: "USD", amountCents: 1, now: now, on: c)
            }
            #expect(try await balances.balance(sellerID: seller, currency: "USD") == 0)
            #expect(try await balances.balance(sellerID: seller, currency: "EUR") == 100)
            #expect(Set(try await balances.balances(sellerID: seller).map(\.currency)) == ["USD", "EUR"])
        }
    }
}
