import Database
import Foundation
import SQLKit

/// SQL for `marketplace_refunds`. A refund's status changes only through
/// ``transition(_:from:to:now:on:)``, the one guarded update.
public struct RefundRepository: Sendable {
    let database: DatabaseClient

    public init(database: DatabaseClient) {
        self.database = database
    }

    static let columns = "id, order_id, amount_cents, currency, status, provider_refund_id, created_at"

    struct Row: Decodable {
        var id: UUID
        var order_id: UUID
        var amount_cents: Int64
        var currency: String
        var status: String
        var provider_refund_id: String?
        var created_at: Date

        var refund: Refund {
            Refund(
                id: self.id,
                orderID: self.order_id,
                amountCents: self.amount_cents,
                currency: self.currency,
                status: RefundStatus(rawValue: self.status) ?? .failed,
                providerRefundID: self.provider_refund_id,
                createdAt: self.created_at
            )
        }
    }

    /// Inserts a `pending` refund; the partial unique index allows one pending refund per order.
    ///
    /// - Throws: ``MarketplaceError`` `refund_in_progress` on that index.
    func insert(_ refund: Refund, on connection: any SQLDatabase) async throws {
        let r = refund
        do {
            try await connection.raw(
                """
                INSERT INTO marketplace_refunds (\(unsafeRaw: Self.columns), updated_at) VALUES (
                    \(bind: r.id), \(bind: r.orderID), \(bind: r.amountCents), \(bind: r.currency), 'pending',
                    NULL, \(bind: r.createdAt), \(bind: r.createdAt))
                """
            ).run()
        } catch  where isUniqueViolation(error) {
            throw MarketplaceError.refused(.refundInProgress, "a refund of this order is in progress")
        }
    }

    public func find(_ id: UUID, lock: Bool = false, on connection: (any SQLDatabase)? = nil) async throws -> Refund? {
        let suffix = lock && self.database.kind == .postgres ? " FOR UPDATE" : ""
        return try await (connection ?? self.database.sql).raw(
            "SELECT \(unsafeRaw: Self.columns) FROM marketplace_refunds WHERE id = \(bind: id)\(unsafeRaw: suffix)"
        ).first(decoding: Row.self)?.refund
    }

    /// Pending refunds created before `before`, with or without a provider id, oldest first.
    public func pending(createdBefore before: Date, withProviderID: Bool, limit: Int) async throws -> [Refund] {
        let provider: SQLQueryString =
            withProviderID ? "provider_refund_id IS NOT NULL" : "provider_refund_id IS NULL"
        return try await self.database.sql.raw(
            """
            SELECT \(unsafeRaw: Self.columns) FROM marketplace_refunds
            WHERE status = 'pending' AND \(provider) AND created_at < \(bind: before)
            ORDER BY created_at LIMIT \(bind: limit)
            """
        ).all(decoding: Row.self).map(\.refund)
    }

    /// Stores the provider's refund id after phase 2 (not a status change).
    func setProviderRefundID(_ id: UUID, providerRefundID: String, now: Date) async throws {
        try await self.database.sql.raw(
            """
            UPDATE marketplace_refunds SET provider_refund_id = \(bind: providerRefundID), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND provider_refund_id IS NULL
            """
        ).run()
    }

    /// Moves a refund `from → to`, guarded by `status = from`.
    ///
    /// - Throws: ``MarketplaceError/concurrentChange(_:)`` when no row matched.
    @discardableResult
    public func transition(
        _ id: UUID,
        from: RefundStatus,
        to: RefundStatus,
        now: Date,
        on connection: (any SQLDatabase)? = nil
    ) async throws -> Refund {
        let updated = try await (connection ?? self.database.sql).raw(
            """
            UPDATE marketplace_refunds SET status = \(bind: to.rawValue), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND status = \(bind: from.rawValue)
            RETURNING \(unsafeRaw: Self.columns)
            """
        ).first(decoding: Row.self)
        guard let updated else {
            throw MarketplaceError.concurrentChange(
                "refund \(id.lowercased) was not \(from.rawValue) when moving it to \(to.rawValue)"
            )
        }
        return updated.refund
    }
}
