import AsyncHTTPClient
import Database
import Foundation
import Marketplace
import Payments
import Retry
import SQLKit
import TestSupport

@testable import StreamServer

/// A clock the tests move by hand.
final class PayoutClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_900_000_000)) {
        self.current = start
    }

    var now: Date { self.lock.withLock { self.current } }

    func advance(_ duration: Duration) {
        self.lock.withLock { self.current = self.current.addingTimeInterval(duration.seconds) }
    }
}

/// A marketplace database, the fake Stripe over HTTP behind the real client and adapter, and
/// senders/reversers on a manual clock.
struct PayoutFixture: Sendable {
    let database: DatabaseClient
    let fake: FakeStripe
    let clock: PayoutClock
    let policy: PayoutPolicy
    let provider: StripeSellerTransferProvider

    static let migrations = CoreMigrations.all + MarketplaceMigrations.all
    static let defaultPolicy = PayoutPolicy(
        transferMaxRetries: 5,
        transferBackoff: Backoff(base: .seconds(60), cap: .seconds(3600)),
        reversalMaxRetries: 5,
        reversalBackoff: Backoff(base: .seconds(60), cap: .seconds(180))
    )

    /// Runs `body` with a fresh database of `engine` and a fresh fake.
    static func with(
        _ engine: DatabaseEngine,
        policy: PayoutPolicy = Self.defaultPolicy,
        _ body: @Sendable (PayoutFixture) async throws -> Void
    ) async throws {
        try await FakeStripe.with { fake in
            try await TestDatabase.with(engine, migrations: Self.migrations) { database in
                let client = StripeConnectClient(
                    baseURL: fake.url,
                    secretKey: fake.secretKey,
                    httpClient: .shared,
                    logger: TestDatabase.logger,
                    // One attempt per call: the tests count every request.
                    retry: .none,
                    timeout: .seconds(10)
                )
                try await body(
                    PayoutFixture(
                        database: database,
                        fake: fake,
                        clock: PayoutClock(),
                        policy: policy,
                        provider: StripeSellerTransferProvider(client: client)
                    )
                )
            }
        }
    }

    var transfers: TransferRepository { TransferRepository(database: self.database) }
    var accounts: SellerAccountRepository { SellerAccountRepository(database: self.database) }

    /// A sender as one node would have it (`provider: nil` for an unconfigured Stripe).
    func sender(provider: (any SellerTransferProvider)?? = .none) -> TransferSender {
        let clock = self.clock
        return TransferSender(
            database: self.database,
            provider: provider ?? self.provider,
            policy: self.policy,
            logger: TestDatabase.logger,
            now: { clock.now }
        )
    }

    func reverser() -> TransferReverser {
        let clock = self.clock
        return TransferReverser(
            database: self.database,
            provider: self.provider,
            policy: self.policy,
            logger: TestDatabase.logger,
            now: { clock.now }
        )
    }

    func retryWorker(_ sender: TransferSender? = nil, interval: Duration = .seconds(60)) -> TransferRetryWorker {
        TransferRetryWorker(
            sender: sender ?? self.sender(),
            interval: interval,
            readiness: ReadinessGate(open: true),
            logger: TestDatabase.logger
        )
    }

    /// A listed product, a basic licence and a completed order of `seller`, through plain SQL.
    func seedOrder(seller: UUID = UUID(), amountCents: Int64 = 1000) async throws -> (order: UUID, seller: UUID) {
        try await Self.seedOrder(on: self.database, seller: seller, amountCents: amountCents, now: self.clock.now)
    }

    /// The same on any marketplace database (e.g. an app's).
    static func seedOrder(
        on database: DatabaseClient,
        seller: UUID,
        amountCents: Int64 = 1000,
        now: Date
    ) async throws -> (order: UUID, seller: UUID) {
        let product = UUID()
        let licence = UUID()
        let order = UUID()
        let sql = database.sql
        try await sql.raw(
            """
            INSERT INTO marketplace_products (id, track_id, seller_id, status, created_at, updated_at)
            VALUES (\(bind: product), \(bind: UUID()), \(bind: seller), 'listed', \(bind: now), \(bind: now))
            """
        ).run()
        try await sql.raw(
            """
            INSERT INTO marketplace_licences (id, product_id, kind, price_cents, currency, active, created_at)
            VALUES (\(bind: licence), \(bind: product), 'basic', \(bind: amountCents), 'USD', 1, \(bind: now))
            """
        ).run()
        try await sql.raw(
            """
            INSERT INTO marketplace_orders (id, buyer_id, seller_id, product_id, licence_id, licence_kind,
                amount_cents, currency, status, created_at, updated_at)
            VALUES (\(bind: order), \(bind: UUID()), \(bind: seller), \(bind: product), \(bind: licence), 'basic',
                \(bind: amountCents), 'USD', 'completed', \(bind: now), \(bind: now))
            """
        ).run()
        return (order, seller)
    }

    /// A `pending` transfer row for a new completed order of `seller` (with an account unless `account` is nil).
    func pendingTransfer(
        seller: UUID = UUID(),
        account: String? = "acct_1VezaSeller",
        amountCents: Int64 = 900
    ) async throws -> SellerTransfer {
        let (order, seller) = try await self.seedOrder(seller: seller)
        if let account {
            try await self.accounts.upsert(sellerID: seller, stripeAccountID: account, now: self.clock.now)
        }
        let row = SellerTransfer(
            id: UUID(),
            orderID: order,
            sellerID: seller,
            amountCents: amountCents,
            currency: "USD",
            now: self.clock.now
        )
        try await self.transfers.insert(row)
        return row
    }

    /// A transfer paid out at the fake, then moved to `reversal_pending` (due now), as a refund does.
    func reversalPendingTransfer() async throws -> SellerTransfer {
        let row = try await self.pendingTransfer()
        guard case .completed = await self.sender().attempt(row) else { throw TestEnvironmentError("payout failed") }
        return try await self.transfers.transition(
            row.id,
            from: .completed,
            to: .reversalPending,
            changes: .init(nextRetryAt: .some(self.clock.now)),
            now: self.clock.now
        )
    }

    func row(_ id: UUID) async throws -> SellerTransfer {
        guard let row = try await self.transfers.find(id) else { throw TestEnvironmentError("transfer \(id) is gone") }
        return row
    }
}
