import Database
import Foundation
import SQLKit

/// SQL for `marketplace_transfers`. Status changes only through
/// ``transition(_:from:to:changes:now:on:)``, the one guarded update.
public struct TransferRepository: Sendable {
    let database: DatabaseClient

    public init(database: DatabaseClient) {
        self.database = database
    }

    /// The other columns a transition may set together with the status.
    public struct Changes: Sendable, Equatable {
        public var stripeTransferID: String?
        public var stripeReversalID: String?
        public var retryCount: Int?
        /// `.some(nil)` clears it.
        public var nextRetryAt: Date??
        public var lastError: String??

        public init(
            stripeTransferID: String? = nil,
            stripeReversalID: String? = nil,
            retryCount: Int? = nil,
            nextRetryAt: Date?? = nil,
            lastError: String?? = nil
        ) {
            self.stripeTransferID = stripeTransferID
            self.stripeReversalID = stripeReversalID
            self.retryCount = retryCount
            self.nextRetryAt = nextRetryAt
            self.lastError = lastError
        }
    }

    public func insert(_ transfer: SellerTransfer, on connection: (any SQLDatabase)? = nil) async throws {
        let t = transfer
        try await (connection ?? self.database.sql).raw(
            """
            INSERT INTO marketplace_transfers (\(unsafeRaw: SellerTransfer.columns)) VALUES (
                \(bind: t.id), \(bind: t.orderID), \(bind: t.sellerID), \(bind: t.amountCents), \(bind: t.currency),
                \(bind: t.status.rawValue), \(bind: t.stripeTransferID), \(bind: t.stripeReversalID),
                \(bind: t.retryCount), \(bind: t.nextRetryAt), \(bind: t.lastError), \(bind: t.createdAt),
                \(bind: t.updatedAt))
            """
        ).run()
    }

    public func find(_ id: UUID, on connection: (any SQLDatabase)? = nil) async throws -> SellerTransfer? {
        try await (connection ?? self.database.sql).raw(
            "SELECT \(unsafeRaw: SellerTransfer.columns) FROM marketplace_transfers WHERE id = \(bind: id)"
        ).first(decoding: SellerTransfer.self)
    }

    /// Moves a transfer `from → to` when ``TransferStatus/canMove(to:)`` allows it, guarded by
    /// `status = from`. Throws ``MarketplaceError/illegalTransition(_:)`` for a refused pair (nothing
    /// is written) and ``MarketplaceError/concurrentChange(_:)`` when no row matched.
    @discardableResult
    public func transition(
        _ id: UUID,
        from: TransferStatus,
        to: TransferStatus,
        changes: Changes = Changes(),
        now: Date,
        on connection: (any SQLDatabase)? = nil
    ) async throws -> SellerTransfer {
        guard from.canMove(to: to) else {
            throw MarketplaceError.illegalTransition("transfer \(id.lowercased) \(from.rawValue) -> \(to.rawValue)")
        }
        var set: SQLQueryString = ""
        if let value = changes.stripeTransferID { set = "\(set), stripe_transfer_id = \(bind: value)" }
        if let value = changes.stripeReversalID { set = "\(set), stripe_reversal_id = \(bind: value)" }
        if let value = changes.retryCount { set = "\(set), retry_count = \(bind: value)" }
        if let value = changes.nextRetryAt { set = "\(set), next_retry_at = \(bind: value)" }
        if let value = changes.lastError { set = "\(set), last_error = \(bind: value)" }
        let updated = try await (connection ?? self.database.sql).raw(
            """
            UPDATE marketplace_transfers SET status = \(bind: to.rawValue), updated_at = \(bind: now)\(set)
            WHERE id = \(bind: id) AND status = \(bind: from.rawValue)
            RETURNING \(unsafeRaw: SellerTransfer.columns)
            """
        ).first(decoding: SellerTransfer.self)
        guard let updated else {
            throw MarketplaceError.concurrentChange(
                "transfer \(id.lowercased) was not \(from.rawValue) when moving it to \(to.rawValue)"
            )
        }
        return updated
    }
}

extension UUID {
    /// The lowercase form used in every response, key and log line.
    var lowercased: String { self.uuidString.lowercased() }
}
