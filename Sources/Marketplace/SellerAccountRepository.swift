import Database
import Foundation
import SQLKit

/// SQL for `marketplace_seller_accounts`: each seller's Stripe Connect account (`acct_…`).
public struct SellerAccountRepository: Sendable {
    let database: DatabaseClient

    public init(database: DatabaseClient) {
        self.database = database
    }

    /// Sets (or replaces) the seller's Connect account.
    public func upsert(
        sellerID: UUID,
        stripeAccountID: String,
        now: Date,
        on connection: (any SQLDatabase)? = nil
    ) async throws {
        try await (connection ?? self.database.sql).raw(
            """
            INSERT INTO marketplace_seller_accounts (seller_id, stripe_account_id, updated_at)
            VALUES (\(bind: sellerID), \(bind: stripeAccountID), \(bind: now))
            ON CONFLICT (seller_id) DO UPDATE
            SET stripe_account_id = excluded.stripe_account_id, updated_at = excluded.updated_at
            """
        ).run()
    }

    /// The seller's Connect account, or `nil` when none was set.
    public func find(sellerID: UUID, on connection: (any SQLDatabase)? = nil) async throws -> String? {
        struct Row: Decodable { var stripe_account_id: String }
        return try await (connection ?? self.database.sql).raw(
            "SELECT stripe_account_id FROM marketplace_seller_accounts WHERE seller_id = \(bind: sellerID)"
        ).first(decoding: Row.self)?.stripe_account_id
    }

    /// Whether `value` has the form of a Connect account id: `acct_` then 1 to 250 ASCII letters,
    /// digits or underscores.
    public static func isValidAccountID(_ value: String) -> Bool {
        guard value.hasPrefix("acct_") else { return false }
        let rest = value.utf8.dropFirst(5)
        return (1...250).contains(rest.count)
            && rest.allSatisfy {
                (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x5F
            }
    }
}
