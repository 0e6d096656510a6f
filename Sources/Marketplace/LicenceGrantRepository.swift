import Database
import Foundation
import SQLKit

/// A buyer's licence for a track, granted by a paid order; a refund revokes it.
public struct LicenceGrant: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var orderID: UUID
    public var buyerID: UUID
    public var trackID: UUID
    public var licenceID: UUID
    public var kind: LicenceKind
    public var revokedAt: Date?
    public var createdAt: Date

    /// Live: not revoked.
    public var isLive: Bool { self.revokedAt == nil }
}

/// SQL for `marketplace_licence_grants` (no status column: `revoked_at` says it).
public struct LicenceGrantRepository: Sendable {
    let database: DatabaseClient

    public init(database: DatabaseClient) {
        self.database = database
    }

    struct Row: Decodable {
        var id: UUID
        var order_id: UUID
        var buyer_id: UUID
        var track_id: UUID
        var licence_id: UUID
        var kind: String
        var revoked_at: Date?
        var created_at: Date

        var grant: LicenceGrant {
            LicenceGrant(
                id: self.id,
                orderID: self.order_id,
                buyerID: self.buyer_id,
                trackID: self.track_id,
                licenceID: self.licence_id,
                kind: LicenceKind(rawValue: self.kind) ?? .basic,
                revokedAt: self.revoked_at,
                createdAt: self.created_at
            )
        }
    }

    /// Grants the order's licence (one per order: `order_id` is unique).
    func grant(order: Order, trackID: UUID, now: Date, on connection: any SQLDatabase) async throws {
        try await connection.raw(
            """
            INSERT INTO marketplace_licence_grants
                (id, order_id, buyer_id, track_id, licence_id, kind, revoked_at, created_at)
            VALUES (\(bind: UUID()), \(bind: order.id), \(bind: order.buyerID), \(bind: trackID), \(bind: order.licenceID),
                \(bind: order.licenceKind.rawValue), NULL, \(bind: now))
            """
        ).run()
    }

    /// Revokes the order's licence.
    func revoke(orderID: UUID, now: Date, on connection: any SQLDatabase) async throws {
        try await connection.raw(
            """
            UPDATE marketplace_licence_grants SET revoked_at = \(bind: now)
            WHERE order_id = \(bind: orderID) AND revoked_at IS NULL
            """
        ).run()
    }

    /// The buyer's licences, newest first: live ones only unless `all`.
    public func grants(buyerID: UUID, all: Bool) async throws -> [LicenceGrant] {
        let live: SQLQueryString = all ? "" : " AND revoked_at IS NULL"
        return try await self.database.sql.raw(
            """
            SELECT id, order_id, buyer_id, track_id, licence_id, kind, revoked_at, created_at
            FROM marketplace_licence_grants WHERE buyer_id = \(bind: buyerID)\(live) ORDER BY created_at DESC
            """
        ).all(decoding: Row.self).map(\.grant)
    }

    /// Whether `userID` holds a live licence for `trackID` (what `/download` asks).
    public func hasLiveLicence(trackID: UUID, userID: UUID) async throws -> Bool {
        try await self.database.sql.raw(
            """
            SELECT id FROM marketplace_licence_grants
            WHERE track_id = \(bind: trackID) AND buyer_id = \(bind: userID) AND revoked_at IS NULL LIMIT 1
            """
        ).first() != nil
    }
}
