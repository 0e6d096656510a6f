import Database
import Foundation
import Marketplace
import TestSupport
import Testing

@testable import StreamServer

@Suite("Seller transfers: reversal worker")
struct TransferReverserTests {
    @Test(
        "a due reversal_pending transfer is reversed at Stripe with the row's key",
        arguments: DatabaseEngine.allCases
    )
    func success(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            let row = try await f.reversalPendingTransfer()
            let outcomes = try await f.reverser().reverseDue()
            let after = try await f.row(row.id)
            #expect(after.status == .reversed)
            let trr = try #require(after.stripeReversalID)
            #expect(trr.hasPrefix("trr_"))
            #expect(outcomes == [.reversed(trr)])
            let trID = try #require(after.stripeTransferID)
            #expect(f.fake.transfer(trID)?.reversed == true)
            let path = "/v1/transfers/\(trID)/reversals"
            #expect(f.fake.requests("POST", path).map { $0.header("Idempotency-Key") } == [row.reversalIdempotencyKey])
            // Terminal: the next pass finds nothing.
            f.clock.advance(.seconds(3600))
            #expect(try await f.reverser().reverseDue().isEmpty)
            #expect(f.fake.requests("POST", path).count == 1)
        }
    }

    @Test("not due yet: left alone", arguments: [DatabaseEngine.sqlite])
    func notDue(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            let row = try await f.pendingTransfer()
            await f.sender().send(row.id)
            try await f.transfers.transition(
                row.id,
                from: .completed,
                to: .reversalPending,
                changes: .init(nextRetryAt: .some(f.clock.now.addingTimeInterval(30))),
                now: f.clock.now
            )
            #expect(try await f.reverser().reverseDue().isEmpty)
            f.clock.advance(.seconds(30))
            #expect(try await f.reverser().reverseDue().count == 1)
        }
    }

    @Test("\"already fully reversed\" counts as reversed", arguments: DatabaseEngine.allCases)
    func alreadyReversed(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            let row = try await f.reversalPendingTransfer()
            let trID = try #require(row.stripeTransferID)
            // Reversed at Stripe by someone else (the dashboard), under another key.
            _ = try await f.provider.reverseTransfer(providerTransferID: trID, idempotencyKey: "dashboard")
            #expect(try await f.reverser().reverseDue() == [.reversed(nil)])
            let after = try await f.row(row.id)
            #expect(after.status == .reversed && after.stripeReversalID == nil)
            #expect(after.lastError?.contains("already fully reversed") == true)
        }
    }

    @Test("resource_missing: permanently failed after exactly one call", arguments: DatabaseEngine.allCases)
    func resourceMissing(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            let row = try await f.pendingTransfer()
            try await f.transfers.transition(
                row.id,
                from: .pending,
                to: .completed,
                changes: .init(stripeTransferID: "tr_1Missing"),
                now: f.clock.now
            )
            try await f.transfers.transition(
                row.id,
                from: .completed,
                to: .reversalPending,
                changes: .init(nextRetryAt: .some(f.clock.now)),
                now: f.clock.now
            )
            #expect(try await f.reverser().reverseDue() == [.permanentlyFailed])
            let after = try await f.row(row.id)
            #expect(after.status == .permanentlyFailed)
            #expect(after.lastError?.contains("No such transfer") == true)
            f.clock.advance(.seconds(86400))
            #expect(try await f.reverser().reverseDue().isEmpty)
            #expect(f.fake.requests("POST", "/v1/transfers/tr_1Missing/reversals").count == 1)
        }
    }

    @Test("transient failures back off exponentially up to the cap, then give up", arguments: DatabaseEngine.allCases)
    func transientBackoff(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            let row = try await f.reversalPendingTransfer()
            f.fake.failNext(1000, of: .reverseTransfer, status: 500)
            var waits: [TimeInterval] = []
            var counts: [Int] = []
            for _ in 0..<5 {
                let outcomes = try await f.reverser().reverseDue()
                guard case .retrying(let failures, let next) = outcomes.first, outcomes.count == 1 else {
                    Issue.record("expected one retrying outcome, got \(outcomes)")
                    return
                }
                counts.append(failures)
                waits.append(next.timeIntervalSince(f.clock.now))
                let stored = try await f.row(row.id)
                #expect(
                    stored.status == .reversalPending && stored.retryCount == failures && stored.nextRetryAt == next
                )
                // One second early: not due.
                f.clock.advance(Duration.seconds(next.timeIntervalSince(f.clock.now) - 1))
                #expect(try await f.reverser().reverseDue().isEmpty)
                f.clock.advance(.seconds(1))
            }
            // REVERSAL_BACKOFF_BASE 60 s doubling, capped at REVERSAL_BACKOFF_MAX 180 s.
            #expect(counts == [1, 2, 3, 4, 5])
            #expect(waits == [60, 120, 180, 180, 180])
            #expect(try await f.reverser().reverseDue() == [.permanentlyFailed])
            let dead = try await f.row(row.id)
            #expect(dead.status == .permanentlyFailed && dead.retryCount == 6)
            let path = "/v1/transfers/\(try #require(row.stripeTransferID))/reversals"
            #expect(f.fake.requests("POST", path).count == 6)
            #expect(f.fake.executions(ofIdempotencyKey: row.reversalIdempotencyKey) == 0)
        }
    }

    @Test("a transient failure then success reverses once", arguments: DatabaseEngine.allCases)
    func transientThenSuccess(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            let row = try await f.reversalPendingTransfer()
            f.fake.failNext(1, of: .reverseTransfer, status: 429)
            guard case .retrying(1, _) = try await f.reverser().reverseDue().first else {
                Issue.record("expected a retry")
                return
            }
            f.clock.advance(.seconds(60))
            guard case .reversed(let trr?) = try await f.reverser().reverseDue().first else {
                Issue.record("expected reversed")
                return
            }
            #expect(try await f.row(row.id).stripeReversalID == trr)
            #expect(f.fake.reversals.count == 1)
        }
    }

    @Test("two nodes racing over due reversals reverse each transfer once", arguments: DatabaseEngine.allCases)
    func race(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            var rows: [SellerTransfer] = []
            for _ in 0..<12 { rows.append(try await f.reversalPendingTransfer()) }
            let nodes = [f.reverser(), f.reverser(), f.reverser()]
            let outcomes = try await withThrowingTaskGroup(of: [TransferReverser.Outcome].self) { group in
                for node in nodes { group.addTask { try await node.reverseDue() } }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(outcomes.filter { if case .reversed = $0 { true } else { false } }.count == 12)
            #expect(!outcomes.contains(.interrupted))
            #expect(f.fake.reversals.count == 12)
            for row in rows {
                let after = try await f.row(row.id)
                #expect(after.status == .reversed)
                let path = "/v1/transfers/\(try #require(row.stripeTransferID))/reversals"
                #expect(
                    f.fake.requests("POST", path).map { $0.header("Idempotency-Key") } == [row.reversalIdempotencyKey]
                )
            }
        }
    }

    @Test(
        "the payout's own key is refused on /reversals, hence the reversal's derived key",
        arguments: [DatabaseEngine.sqlite]
    )
    func keyScope(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            let row = try await f.reversalPendingTransfer()
            await #expect(throws: SellerTransferProviderError.permanent) {
                _ = try await f.provider.reverseTransfer(
                    providerTransferID: try #require(row.stripeTransferID),
                    idempotencyKey: row.transferIdempotencyKey
                )
            }
            #expect(f.fake.reversals.isEmpty)
            #expect(try await f.reverser().reverseDue().count == 1)
            #expect(f.fake.reversals.count == 1)
        }
    }
}
