import Database
import Foundation
import Marketplace
import SQLKit
import TestSupport
import Testing

@testable import StreamServer

@Suite("Seller transfers: sender and retry worker")
struct TransferSenderTests {
    @Test("a pending transfer is paid out once, keyed by its row id", arguments: DatabaseEngine.allCases)
    func success(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            let row = try await f.pendingTransfer(amountCents: 900)
            await f.sender().send(row.id)
            let after = try await f.row(row.id)
            #expect(after.status == .completed)
            #expect(after.retryCount == 0 && after.nextRetryAt == nil && after.lastError == nil)
            let trID = try #require(after.stripeTransferID)
            #expect(trID.hasPrefix("tr_"))
            let paid = try #require(f.fake.transfer(trID))
            #expect(paid.amount == 900 && paid.currency == "usd" && paid.destination == "acct_1VezaSeller")
            #expect(paid.metadata["order_id"] == row.orderID.uuidString.lowercased())
            #expect(paid.metadata["transfer_id"] == row.id.uuidString.lowercased())
            let key = row.id.uuidString.lowercased()
            #expect(f.fake.requests("POST", "/v1/transfers").map { $0.header("Idempotency-Key") } == [key])
            #expect(f.fake.executions(ofIdempotencyKey: key) == 1)
            // A second send of a completed row does nothing.
            await f.sender().send(row.id)
            #expect(f.fake.requests("POST", "/v1/transfers").count == 1)
        }
    }

    @Test(
        "no Connect account: failed with a schedule, paid once the account is set",
        arguments: DatabaseEngine.allCases
    )
    func noAccount(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            let row = try await f.pendingTransfer(account: nil)
            let start = f.clock.now
            await f.sender().send(row.id)
            let failed = try await f.row(row.id)
            #expect(failed.status == .failed)
            #expect(failed.retryCount == 1)
            #expect(failed.nextRetryAt == start.addingTimeInterval(60))
            #expect(failed.lastError?.contains("no Stripe Connect account") == true)
            #expect(f.fake.requests.isEmpty)
            // Not due yet: the worker leaves it.
            let worker = f.retryWorker()
            #expect(try await worker.retryOnce().isEmpty)
            try await f.accounts.upsert(sellerID: row.sellerID, stripeAccountID: "acct_1Later", now: f.clock.now)
            f.clock.advance(.seconds(61))
            #expect(try await worker.retryOnce().count == 1)
            let paid = try await f.row(row.id)
            #expect(paid.status == .completed && paid.retryCount == 0)
            #expect(f.fake.transfer(paid.stripeTransferID ?? "")?.destination == "acct_1Later")
        }
    }

    @Test("Stripe 500, then the retry worker pays it with the same key", arguments: DatabaseEngine.allCases)
    func serverErrorThenRetry(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            let row = try await f.pendingTransfer()
            f.fake.failNext(1, of: .createTransfer, status: 500)
            await f.sender().send(row.id)
            let failed = try await f.row(row.id)
            #expect(failed.status == .failed && failed.retryCount == 1)
            #expect(failed.lastError?.contains("transient") == true)
            f.clock.advance(.seconds(60))
            let outcomes = try await f.retryWorker().retryOnce()
            #expect(outcomes.count == 1)
            guard case .completed = outcomes.first else {
                Issue.record("expected completed, got \(outcomes)")
                return
            }
            let key = row.id.uuidString.lowercased()
            #expect(f.fake.requests(withIdempotencyKey: key).count == 2)
            #expect(f.fake.executions(ofIdempotencyKey: key) == 1)
            #expect(f.fake.transfers.count == 1)
            #expect(try await f.row(row.id).status == .completed)
        }
    }

    @Test("after TRANSFER_MAX_RETRIES retries the transfer is permanently failed", arguments: DatabaseEngine.allCases)
    func maxRetries(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            let row = try await f.pendingTransfer()
            f.fake.failNext(1000, of: .createTransfer, status: 503)
            await f.sender().send(row.id)
            let worker = f.retryWorker()
            var waits: [TimeInterval] = []
            for _ in 0..<5 {
                let due = try await f.row(row.id)
                #expect(due.status == .failed)
                let next = try #require(due.nextRetryAt)
                waits.append(next.timeIntervalSince(f.clock.now))
                f.clock.advance(Duration.seconds(next.timeIntervalSince(f.clock.now)))
                #expect(try await worker.retryOnce().count == 1)
            }
            #expect(waits == [60, 120, 240, 480, 960])
            let dead = try await f.row(row.id)
            #expect(dead.status == .permanentlyFailed)
            #expect(dead.retryCount == 6)
            // The first attempt and 5 retries, all with the row's key.
            let key = row.id.uuidString.lowercased()
            #expect(f.fake.requests("POST", "/v1/transfers").count == 6)
            #expect(f.fake.requests(withIdempotencyKey: key).count == 6)
            f.clock.advance(.seconds(86400))
            #expect(try await worker.retryOnce().isEmpty)
        }
    }

    @Test(
        "a pending row stranded by a crash after the webhook's commit is sent by the worker",
        arguments: DatabaseEngine.allCases
    )
    func strandedPending(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            let row = try await f.pendingTransfer()
            let worker = f.retryWorker(interval: .seconds(60))
            // Young: the webhook's own sender may still be at it.
            #expect(try await worker.retryOnce().isEmpty)
            f.clock.advance(.seconds(61))
            #expect(try await worker.retryOnce() == [.completed(try #require(f.fake.transfers.first?.id))])
            #expect(try await f.row(row.id).status == .completed)
        }
    }

    @Test("two nodes racing over the same due rows call Stripe once per row", arguments: DatabaseEngine.allCases)
    func race(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            var rows: [SellerTransfer] = []
            for _ in 0..<12 { rows.append(try await f.pendingTransfer()) }
            f.fake.failNext(12, of: .createTransfer, status: 500)
            for row in rows { await f.sender().send(row.id) }
            #expect(try await f.transfers.due(.failed, now: f.clock.now.addingTimeInterval(60), limit: 100).count == 12)
            f.clock.advance(.seconds(60))
            let nodes = [f.retryWorker(f.sender()), f.retryWorker(f.sender()), f.retryWorker(f.sender())]
            let outcomes = try await withThrowingTaskGroup(of: [TransferSender.Outcome].self) { group in
                for node in nodes { group.addTask { try await node.retryOnce() } }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let completed = outcomes.filter { if case .completed = $0 { true } else { false } }
            #expect(completed.count == 12)
            #expect(!outcomes.contains(.interrupted))
            for row in rows {
                let key = row.id.uuidString.lowercased()
                // The failed first attempt and exactly one retry, both with the row's key.
                #expect(f.fake.requests(withIdempotencyKey: key).count == 2)
                #expect(f.fake.executions(ofIdempotencyKey: key) == 1)
                #expect(try await f.row(row.id).status == .completed)
            }
            #expect(
                Set(f.fake.requests("POST", "/v1/transfers").compactMap { $0.header("Idempotency-Key") })
                    == Set(rows.map { $0.id.uuidString.lowercased() })
            )
            #expect(f.fake.transfers.count == 12)
        }
    }

    @Test("without a payout provider the attempt fails and is kept for later", arguments: [DatabaseEngine.sqlite])
    func noProvider(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            let row = try await f.pendingTransfer()
            await f.sender(provider: .some(nil)).send(row.id)
            let failed = try await f.row(row.id)
            #expect(failed.status == .failed && failed.retryCount == 1)
            #expect(failed.lastError?.contains("STRIPE_SECRET_KEY") == true)
        }
    }
}

@Suite("Seller transfers racing refunds")
struct TransferRefundRaceTests {
    static func markRefunded(_ f: PayoutFixture, _ row: SellerTransfer) async throws {
        try await f.database.sql.raw(
            "UPDATE marketplace_orders SET status = 'refunded' WHERE id = \(bind: row.orderID)"
        ).run()
    }

    @Test("a payout of an order refunded first is never sent", arguments: DatabaseEngine.allCases)
    func refundedFirst(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            let row = try await f.pendingTransfer()
            try await Self.markRefunded(f, row)
            #expect(await f.sender().attempt(row) == .permanentlyFailed)
            let after = try await f.row(row.id)
            #expect(after.status == .permanentlyFailed)
            #expect(after.lastError == "the order was refunded before the payout")
            #expect(f.fake.requests.isEmpty)
        }
    }

    @Test("a refund settling during the Stripe call queues the reversal", arguments: DatabaseEngine.allCases)
    func refundedDuring(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            let row = try await f.pendingTransfer()
            let refunding = RefundingProvider(inner: f.provider) { try await Self.markRefunded(f, row) }
            guard case .completed = await f.sender(provider: .some(refunding)).attempt(row) else {
                Issue.record("expected the payout to complete")
                return
            }
            let after = try await f.row(row.id)
            #expect(after.status == .reversalPending && after.nextRetryAt == f.clock.now && after.retryCount == 0)
            #expect(try await f.reverser().reverseDue().count == 1)
            #expect(try await f.row(row.id).status == .reversed)
        }
    }
}

/// The real adapter, with the refund webhook landing while Stripe answers.
struct RefundingProvider: SellerTransferProvider {
    let inner: StripeSellerTransferProvider
    let during: @Sendable () async throws -> Void

    func createTransfer(_ request: SellerTransferRequest) async throws -> String {
        let id = try await self.inner.createTransfer(request)
        try await self.during()
        return id
    }

    func reverseTransfer(providerTransferID: String, idempotencyKey: String) async throws -> String {
        try await self.inner.reverseTransfer(providerTransferID: providerTransferID, idempotencyKey: idempotencyKey)
    }
}

extension TransferRefundRaceTests {
    @Test(
        "a failed payout given up by a refund during its retry is reversed at once",
        arguments: DatabaseEngine.allCases
    )
    func givenUpDuring(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            let row = try await f.pendingTransfer()
            f.fake.failNext(1, of: .createTransfer)
            await f.sender().send(row.id)
            let failed = try await f.row(row.id)
            #expect(failed.status == .failed)
            f.clock.advance(.seconds(60))
            let transfers = f.transfers
            let now = f.clock.now
            // The refund webhook's transaction, as the marketplace processor runs it.
            let refunding = RefundingProvider(inner: f.provider) {
                try await Self.markRefunded(f, row)
                try await transfers.transition(
                    row.id,
                    from: .failed,
                    to: .permanentlyFailed,
                    changes: .init(lastError: .some("the order was refunded before the payout")),
                    now: now
                )
            }
            #expect(await f.sender(provider: .some(refunding)).attempt(failed) == .interrupted)
            let after = try await f.row(row.id)
            #expect(after.status == .permanentlyFailed)
            let trID = try #require(after.stripeTransferID)
            #expect(after.stripeReversalID?.hasPrefix("trr_") == true)
            #expect(f.fake.transfer(trID)?.reversed == true)
            #expect(after.lastError?.contains("reversed as trr_") == true)
        }
    }
}
