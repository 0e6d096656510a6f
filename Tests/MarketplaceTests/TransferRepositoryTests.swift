import Database
import Foundation
import Marketplace
import SQLKit
import TestSupport
import Testing

@Suite("Marketplace transfers")
struct TransferRepositoryTests {
    static let migrations = CoreMigrations.all + MarketplaceMigrations.all

    /// A listed product, a licence and a pending order, so a transfer row has its parents.
    static func seedOrder(_ database: DatabaseClient, now: Date) async throws -> (order: UUID, seller: UUID) {
        let product = UUID()
        let licence = UUID()
        let order = UUID()
        let seller = UUID()
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
            VALUES (\(bind: licence), \(bind: product), 'basic', \(bind: Int64(1000)), 'usd', 1, \(bind: now))
            """
        ).run()
        try await sql.raw(
            """
            INSERT INTO marketplace_orders (id, buyer_id, seller_id, product_id, licence_id, licence_kind,
                amount_cents, currency, status, created_at, updated_at)
            VALUES (\(bind: order), \(bind: UUID()), \(bind: seller), \(bind: product), \(bind: licence), 'basic',
                \(bind: Int64(1000)), 'usd', 'completed', \(bind: now), \(bind: now))
            """
        ).run()
        return (order, seller)
    }

    @Test("every allowed transfer move is written, every other refused", arguments: DatabaseEngine.allCases)
    func allPairs(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: Self.migrations) { database in
            let repository = TransferRepository(database: database)
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let (order, seller) = try await Self.seedOrder(database, now: now)
            for from in TransferStatus.allCases {
                for to in TransferStatus.allCases {
                    let row = SellerTransfer(
                        id: UUID(),
                        orderID: order,
                        sellerID: seller,
                        amountCents: 900,
                        currency: "usd",
                        status: from,
                        now: now
                    )
                    var seeded = row
                    if from == .reversalPending { seeded.nextRetryAt = now }
                    if from != .reversalPending {
                        try await repository.insert(seeded)
                    } else {
                        try await database.sql.raw(
                            """
                            INSERT INTO marketplace_transfers (id, order_id, seller_id, amount_cents, currency,
                                status, next_retry_at, created_at, updated_at)
                            VALUES (\(bind: row.id), \(bind: order), \(bind: seller), \(bind: Int64(900)), 'usd',
                                'reversal_pending', \(bind: now), \(bind: now), \(bind: now))
                            """
                        ).run()
                    }
                    let changes = TransferRepository.Changes(nextRetryAt: to == .reversalPending ? .some(now) : nil)
                    if from.canMove(to: to) {
                        let moved = try await repository.transition(
                            row.id,
                            from: from,
                            to: to,
                            changes: changes,
                            now: now
                        )
                        #expect(moved.status == to, "\(from) -> \(to)")
                    } else {
                        await #expect(throws: MarketplaceError.self, "\(from) -> \(to)") {
                            try await repository.transition(row.id, from: from, to: to, changes: changes, now: now)
                        }
                        #expect(try await repository.find(row.id)?.status == from)
                    }
                }
            }
        }
    }

    @Test("a stale from-status is a concurrent change, reported", arguments: DatabaseEngine.allCases)
    func concurrentChange(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: Self.migrations) { database in
            let repository = TransferRepository(database: database)
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let (order, seller) = try await Self.seedOrder(database, now: now)
            let row = SellerTransfer(
                id: UUID(),
                orderID: order,
                sellerID: seller,
                amountCents: 900,
                currency: "usd",
                now: now
            )
            try await repository.insert(row)
            let done = try await repository.transition(
                row.id,
                from: .pending,
                to: .completed,
                changes: .init(stripeTransferID: "tr_1"),
                now: now
            )
            #expect(done.stripeTransferID == "tr_1")
            await #expect(
                throws: MarketplaceError.concurrentChange(
                    "transfer \(row.id.uuidString.lowercased()) was not pending when moving it to failed"
                )
            ) {
                try await repository.transition(row.id, from: .pending, to: .failed, now: now)
            }
        }
    }

    @Test("reversal_pending always has a next_retry_at (CHECK)", arguments: DatabaseEngine.allCases)
    func reversalPendingNeedsNextRetry(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: Self.migrations) { database in
            let repository = TransferRepository(database: database)
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let (order, seller) = try await Self.seedOrder(database, now: now)
            let row = SellerTransfer(
                id: UUID(),
                orderID: order,
                sellerID: seller,
                amountCents: 900,
                currency: "usd",
                status: .completed,
                now: now
            )
            try await repository.insert(row)
            await #expect(throws: (any Error).self) {
                try await repository.transition(row.id, from: .completed, to: .reversalPending, now: now)
            }
            #expect(try await repository.find(row.id)?.status == .completed)
            let moved = try await repository.transition(
                row.id,
                from: .completed,
                to: .reversalPending,
                changes: .init(nextRetryAt: .some(now)),
                now: now
            )
            #expect(moved.nextRetryAt == now)
        }
    }
}
