import Database
import Foundation
import SQLKit

/// SQL for `invoices`. Status changes only through ``transition(_:from:to:now:stampPaidAt:on:)``.
struct InvoiceRepository: Sendable {
    let database: DatabaseClient

    func insert(_ invoice: Invoice, on connection: any SQLDatabase) async throws {
        let i = invoice
        try await connection.raw(
            """
            INSERT INTO invoices (\(unsafeRaw: Invoice.columns)) VALUES (
                \(bind: i.id), \(bind: i.subscriptionID), \(bind: i.userID), \(bind: i.kind.rawValue),
                \(bind: i.planID), \(bind: i.billingCycle.rawValue), \(bind: i.amountCents), \(bind: i.currency),
                \(bind: i.status.rawValue), \(bind: i.paymentID), \(bind: i.idempotencyKey), \(bind: i.requestedAt),
                \(bind: i.paidAt), \(bind: i.createdAt), \(bind: i.updatedAt))
            """
        ).run()
    }

    func find(paymentID: String, lock: Bool = false, on connection: (any SQLDatabase)? = nil) async throws -> Invoice? {
        let suffix = lock && self.database.kind == .postgres ? " FOR UPDATE" : ""
        return try await (connection ?? self.database.sql).raw(
            """
            SELECT \(unsafeRaw: Invoice.columns) FROM invoices WHERE payment_id = \(bind: paymentID)\
            \(unsafeRaw: suffix)
            """
        ).first(decoding: Invoice.self)
    }

    /// The subscription's pending invoices, newest first.
    func pending(subscriptionID: UUID, on connection: (any SQLDatabase)? = nil) async throws -> [Invoice] {
        try await (connection ?? self.database.sql).raw(
            """
            SELECT \(unsafeRaw: Invoice.columns) FROM invoices
            WHERE subscription_id = \(bind: subscriptionID) AND status = 'pending' ORDER BY created_at DESC
            """
        ).all(decoding: Invoice.self)
    }

    func all(subscriptionID: UUID) async throws -> [Invoice] {
        try await self.database.sql.raw(
            """
            SELECT \(unsafeRaw: Invoice.columns) FROM invoices
            WHERE subscription_id = \(bind: subscriptionID) ORDER BY created_at
            """
        ).all(decoding: Invoice.self)
    }

    /// Pending invoices created before `before` (their webhook is late), oldest first.
    func stalePending(before: Date, limit: Int) async throws -> [Invoice] {
        try await self.database.sql.raw(
            """
            SELECT \(unsafeRaw: Invoice.columns) FROM invoices
            WHERE status = 'pending' AND created_at <= \(bind: before) ORDER BY created_at LIMIT \(bind: limit)
            """
        ).all(decoding: Invoice.self)
    }

    /// Pending invoices whose payment request never reached the provider (a crash or an outage
    /// between the insert and the call).
    func unrequested(limit: Int) async throws -> [Invoice] {
        try await self.database.sql.raw(
            """
            SELECT \(unsafeRaw: Invoice.columns) FROM invoices
            WHERE status = 'pending' AND requested_at IS NULL ORDER BY created_at LIMIT \(bind: limit)
            """
        ).all(decoding: Invoice.self)
    }

    /// Records that the provider accepted the payment request (not a status change).
    func markRequested(_ id: UUID, now: Date) async throws {
        try await self.database.sql.raw(
            "UPDATE invoices SET requested_at = \(bind: now) WHERE id = \(bind: id) AND requested_at IS NULL"
        ).run()
    }

    /// The guarded status change; `paid_at` is stamped only by the move to `paid`, once.
    func transition(
        _ id: UUID,
        from: InvoiceStatus,
        to: InvoiceStatus,
        now: Date,
        stampPaidAt: Bool,
        on connection: any SQLDatabase
    ) async throws -> Invoice? {
        let paidAt: SQLQueryString = stampPaidAt ? ", paid_at = \(bind: now)" : ""
        return try await connection.raw(
            """
            UPDATE invoices SET status = \(bind: to.rawValue), updated_at = \(bind: now)\(paidAt)
            WHERE id = \(bind: id) AND status = \(bind: from.rawValue)
            RETURNING \(unsafeRaw: Invoice.columns)
            """
        ).first(decoding: Invoice.self)
    }
}
