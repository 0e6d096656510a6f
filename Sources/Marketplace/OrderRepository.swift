import Database
import Foundation
import SQLKit

/// SQL for `marketplace_orders` and `marketplace_licence_grants`. An order's status changes only
/// through ``transition(_:from:to:paidAt:now:on:)``, the one guarded update.
public struct OrderRepository: Sendable {
    let database: DatabaseClient

    public init(database: DatabaseClient) {
        self.database = database
    }

    static let columns = """
        id, buyer_id, seller_id, product_id, licence_id, licence_kind, amount_cents, currency, status, payment_id, \
        paid_at, created_at
        """

    struct Row: Decodable {
        var id: UUID
        var buyer_id: UUID
        var seller_id: UUID
        var product_id: UUID
        var licence_id: UUID
        var licence_kind: String
        var amount_cents: Int64
        var currency: String
        var status: String
        var payment_id: String?
        var paid_at: Date?
        var created_at: Date

        var order: Order {
            Order(
                id: self.id,
                buyerID: self.buyer_id,
                sellerID: self.seller_id,
                productID: self.product_id,
                licenceID: self.licence_id,
                licenceKind: LicenceKind(rawValue: self.licence_kind) ?? .basic,
                amountCents: self.amount_cents,
                currency: self.currency,
                status: OrderStatus(rawValue: self.status) ?? .failed,
                paymentID: self.payment_id,
                createdAt: self.created_at,
                paidAt: self.paid_at
            )
        }
    }

    /// Inserts a `pending` order. The partial unique index refuses a second pending or paid
    /// exclusive order of the product.
    ///
    /// - Throws: ``MarketplaceError`` `exclusive_unavailable` on that index.
    public func insert(_ order: Order, now: Date, on connection: (any SQLDatabase)? = nil) async throws {
        let o = order
        do {
            try await (connection ?? self.database.sql).raw(
                """
                INSERT INTO marketplace_orders (\(unsafeRaw: Self.columns), updated_at) VALUES (
                    \(bind: o.id), \(bind: o.buyerID), \(bind: o.sellerID), \(bind: o.productID), \(bind: o.licenceID),
                    \(bind: o.licenceKind.rawValue), \(bind: o.amountCents), \(bind: o.currency), 'pending',
                    \(bind: o.paymentID), \(bind: o.paidAt), \(bind: o.createdAt), \(bind: now))
                """
            ).run()
        } catch  where isUniqueViolation(error) {
            throw MarketplaceError.refused(
                .exclusiveUnavailable,
                "the exclusive licence of this track is being bought or sold already"
            )
        }
    }

    public func find(_ id: UUID, lock: Bool = false, on connection: (any SQLDatabase)? = nil) async throws -> Order? {
        let suffix = lock && self.database.kind == .postgres ? " FOR UPDATE" : ""
        return try await (connection ?? self.database.sql).raw(
            "SELECT \(unsafeRaw: Self.columns) FROM marketplace_orders WHERE id = \(bind: id)\(unsafeRaw: suffix)"
        ).first(decoding: Row.self)?.order
    }

    public func find(paymentID: String, on connection: (any SQLDatabase)? = nil) async throws -> Order? {
        try await (connection ?? self.database.sql).raw(
            "SELECT \(unsafeRaw: Self.columns) FROM marketplace_orders WHERE payment_id = \(bind: paymentID)"
        ).first(decoding: Row.self)?.order
    }

    /// The buyer's orders, newest first.
    public func orders(buyerID: UUID, limit: Int = 200) async throws -> [Order] {
        try await self.database.sql.raw(
            """
            SELECT \(unsafeRaw: Self.columns) FROM marketplace_orders WHERE buyer_id = \(bind: buyerID)
            ORDER BY created_at DESC LIMIT \(bind: limit)
            """
        ).all(decoding: Row.self).map(\.order)
    }

    /// Orders in `status` created before `before`, oldest first (the reconciler's input).
    public func orders(status: OrderStatus, createdBefore before: Date, limit: Int) async throws -> [Order] {
        try await self.database.sql.raw(
            """
            SELECT \(unsafeRaw: Self.columns) FROM marketplace_orders
            WHERE status = \(bind: status.rawValue) AND created_at < \(bind: before)
            ORDER BY created_at LIMIT \(bind: limit)
            """
        ).all(decoding: Row.self).map(\.order)
    }

    /// Stores the provider's payment id (not a status change).
    public func setPaymentID(_ id: UUID, paymentID: String, now: Date) async throws {
        try await self.database.sql.raw(
            """
            UPDATE marketplace_orders SET payment_id = \(bind: paymentID), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND payment_id IS NULL
            """
        ).run()
    }

    /// Moves an order `from → to`, guarded by `status = from`; `paidAt` is set when given.
    ///
    /// - Throws: ``MarketplaceError/concurrentChange(_:)`` when no row matched.
    @discardableResult
    public func transition(
        _ id: UUID,
        from: OrderStatus,
        to: OrderStatus,
        paidAt: Date? = nil,
        now: Date,
        on connection: (any SQLDatabase)? = nil
    ) async throws -> Order {
        let paid: SQLQueryString = paidAt.map { ", paid_at = \(bind: $0)" } ?? ""
        let updated = try await (connection ?? self.database.sql).raw(
            """
            UPDATE marketplace_orders SET status = \(bind: to.rawValue), updated_at = \(bind: now)\(paid)
            WHERE id = \(bind: id) AND status = \(bind: from.rawValue)
            RETURNING \(unsafeRaw: Self.columns)
            """
        ).first(decoding: Row.self)
        guard let updated else {
            throw MarketplaceError.concurrentChange(
                "order \(id.lowercased) was not \(from.rawValue) when moving it to \(to.rawValue)"
            )
        }
        return updated.order
    }
}
