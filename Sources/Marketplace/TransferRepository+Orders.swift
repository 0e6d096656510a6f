import Foundation
import SQLKit

extension TransferRepository {
    /// Every transfer of an order, oldest first (locked on PostgreSQL inside a transaction).
    public func forOrder(
        _ orderID: UUID,
        lock: Bool = false,
        on connection: (any SQLDatabase)? = nil
    ) async throws
        -> [SellerTransfer]
    {
        let suffix = lock && self.database.kind == .postgres ? " FOR UPDATE" : ""
        return try await (connection ?? self.database.sql).raw(
            """
            SELECT \(unsafeRaw: SellerTransfer.columns) FROM marketplace_transfers
            WHERE order_id = \(bind: orderID) ORDER BY created_at\(unsafeRaw: suffix)
            """
        ).all(decoding: SellerTransfer.self)
    }
}
