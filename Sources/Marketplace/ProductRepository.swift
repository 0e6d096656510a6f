import Database
import Foundation
import SQLKit

/// SQL for `marketplace_products` and `marketplace_licences`. A product's status changes only
/// through ``unlist(_:now:on:)``, the one guarded update.
public struct ProductRepository: Sendable {
    let database: DatabaseClient

    public init(database: DatabaseClient) {
        self.database = database
    }

    struct ProductRow: Decodable {
        var id: UUID
        var track_id: UUID
        var seller_id: UUID
        var status: String
        var created_at: Date
    }

    struct LicenceRow: Decodable {
        var id: UUID
        var product_id: UUID
        var kind: String
        var price_cents: Int64
        var currency: String
        var active: Int
    }

    static func licence(_ row: LicenceRow) -> Licence {
        var licence = Licence(
            id: row.id,
            productID: row.product_id,
            kind: LicenceKind(rawValue: row.kind) ?? .basic,
            priceCents: row.price_cents,
            currency: row.currency
        )
        licence.active = row.active != 0
        return licence
    }

    /// Lists a track: the product and its licences in one transaction.
    ///
    /// - Throws: ``MarketplaceError`` `already_listed` when the track has a listed product.
    public func create(trackID: UUID, sellerID: UUID, offers: [LicenceOffer], now: Date) async throws -> Product {
        let product = Product(
            trackID: trackID,
            sellerID: sellerID,
            licences: [],
            createdAt: now
        )
        do {
            try await self.database.transaction { connection in
                try await connection.raw(
                    """
                    INSERT INTO marketplace_products (id, track_id, seller_id, status, created_at, updated_at)
                    VALUES (\(bind: product.id), \(bind: trackID), \(bind: sellerID), 'listed', \(bind: now), \(bind: now))
                    """
                ).run()
                try await self.insertLicences(offers, productID: product.id, now: now, on: connection)
            }
        } catch  where isUniqueViolation(error) {
            throw MarketplaceError.refused(.alreadyListed, "this track is listed already; change its licences instead")
        }
        return try await self.find(product.id) ?? product
    }

    func insertLicences(
        _ offers: [LicenceOffer],
        productID: UUID,
        now: Date,
        on connection: any SQLDatabase
    )
        async throws
    {
        for offer in offers {
            try await connection.raw(
                """
                INSERT INTO marketplace_licences (id, product_id, kind, price_cents, currency, active, created_at)
                VALUES (\(bind: UUID()), \(bind: productID), \(bind: offer.kind.rawValue), \(bind: offer.priceCents),
                    \(bind: offer.currency), 1, \(bind: now))
                """
            ).run()
        }
    }

    /// Replaces a listed product's active licences in one transaction: a failure half-way leaves
    /// the old set. The old rows stay (inactive) for the orders that refer to them.
    ///
    /// - Throws: ``MarketplaceError`` `not_found`, `product_unlisted`.
    public func replaceLicences(productID: UUID, offers: [LicenceOffer], now: Date) async throws -> Product {
        try await self.database.transaction { connection in
            guard let product = try await self.find(productID, lock: true, on: connection) else {
                throw MarketplaceError.refused(.notFound, "no such product")
            }
            guard product.status == .listed else {
                throw MarketplaceError.refused(.productUnlisted, "the product is unlisted; list the track again")
            }
            try await connection.raw(
                """
                UPDATE marketplace_licences SET active = 0 WHERE product_id = \(bind: productID) AND active = 1
                """
            ).run()
            try await self.insertLicences(offers, productID: productID, now: now, on: connection)
        }
        guard let product = try await self.find(productID) else {
            throw MarketplaceError.refused(.notFound, "no such product")
        }
        return product
    }

    /// The product with its active licences.
    public func find(
        _ id: UUID,
        lock: Bool = false,
        on connection: (any SQLDatabase)? = nil
    ) async throws
        -> Product?
    {
        let sql = connection ?? self.database.sql
        let suffix = lock && self.database.kind == .postgres ? " FOR UPDATE" : ""
        guard
            let row = try await sql.raw(
                """
                SELECT id, track_id, seller_id, status, created_at FROM marketplace_products
                WHERE id = \(bind: id)\(unsafeRaw: suffix)
                """
            ).first(decoding: ProductRow.self)
        else { return nil }
        return try await self.product(row, on: sql)
    }

    /// Every product of a track, newest first.
    public func products(trackID: UUID) async throws -> [Product] {
        let rows = try await self.database.sql.raw(
            """
            SELECT id, track_id, seller_id, status, created_at FROM marketplace_products
            WHERE track_id = \(bind: trackID) ORDER BY created_at DESC
            """
        ).all(decoding: ProductRow.self)
        var products: [Product] = []
        for row in rows { products.append(try await self.product(row, on: self.database.sql)) }
        return products
    }

    func product(_ row: ProductRow, on sql: any SQLDatabase) async throws -> Product {
        let licences = try await sql.raw(
            """
            SELECT id, product_id, kind, price_cents, currency, active FROM marketplace_licences
            WHERE product_id = \(bind: row.id) AND active = 1 ORDER BY price_cents, kind
            """
        ).all(decoding: LicenceRow.self).map(Self.licence)
        return Product(
            id: row.id,
            trackID: row.track_id,
            sellerID: row.seller_id,
            status: ProductStatus(rawValue: row.status) ?? .unlisted,
            licences: licences,
            createdAt: row.created_at
        )
    }

    /// A licence (active or not) with its product.
    public func licence(_ id: UUID, on connection: (any SQLDatabase)? = nil) async throws -> (Licence, Product)? {
        let sql = connection ?? self.database.sql
        guard
            let row = try await sql.raw(
                """
                SELECT id, product_id, kind, price_cents, currency, active FROM marketplace_licences
                WHERE id = \(bind: id)
                """
            ).first(decoding: LicenceRow.self),
            let product = try await self.find(row.product_id, on: sql)
        else { return nil }
        return (Self.licence(row), product)
    }

    /// Unlists a product, guarded by `status = 'listed'` (the one status write of the table).
    ///
    /// - Returns: False when it was unlisted already (by its seller or an exclusive sale).
    @discardableResult
    public func unlist(_ id: UUID, now: Date, on connection: (any SQLDatabase)? = nil) async throws -> Bool {
        try await (connection ?? self.database.sql).raw(
            """
            UPDATE marketplace_products SET status = 'unlisted', updated_at = \(bind: now)
            WHERE id = \(bind: id) AND status = 'listed' RETURNING id
            """
        ).all().count == 1
    }
}
