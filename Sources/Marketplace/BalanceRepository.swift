import Database
import Foundation
import SQLKit

/// SQL for `marketplace_balances`: what the platform owes each seller, per currency.
///
/// Currencies are stored upper-case (ISO 4217), whatever case the caller passes. Credits and
/// debits are single statements, so they compose inside the caller's transaction (`on:`).
public struct BalanceRepository: Sendable {
    let database: DatabaseClient

    public init(database: DatabaseClient) {
        self.database = database
    }

    /// Adds `amountCents` to the seller's balance in `currency`, creating the row at the first credit.
    ///
    /// - Parameters:
    ///   - sellerID: The seller.
    ///   - currency: ISO 4217, any case.
    ///   - amountCents: Must be positive; nothing is written otherwise.
    ///   - now: Stored as `updated_at`.
    ///   - connection: The caller's transaction.
    public func credit(
        sellerID: UUID,
        currency: String,
        amountCents: Int64,
        now: Date,
        on connection: any SQLDatabase
    ) async throws {
        guard amountCents > 0 else { return }
        try await connection.raw(
            """
            INSERT INTO marketplace_balances (seller_id, currency, amount_cents, updated_at)
            VALUES (\(bind: sellerID), \(bind: Self.normalised(currency)), \(bind: amountCents), \(bind: now))
            ON CONFLICT (seller_id, currency) DO UPDATE
            SET amount_cents = marketplace_balances.amount_cents + excluded.amount_cents,
                updated_at = excluded.updated_at
            """
        ).run()
    }

    /// Subtracts `amountCents` from the seller's balance in `currency`, never below zero (a refund
    /// of money already paid out must not make the balance negative). One `CASE` expression, the
    /// same SQL on SQLite and PostgreSQL; a seller without a balance row is left without one.
    public func debitClamped(
        sellerID: UUID,
        currency: String,
        amountCents: Int64,
        now: Date,
        on connection: any SQLDatabase
    ) async throws {
        guard amountCents > 0 else { return }
        try await connection.raw(
            """
            UPDATE marketplace_balances
            SET amount_cents = CASE WHEN amount_cents > \(bind: amountCents)
                    THEN amount_cents - \(bind: amountCents) ELSE 0 END,
                updated_at = \(bind: now)
            WHERE seller_id = \(bind: sellerID) AND currency = \(bind: Self.normalised(currency))
            """
        ).run()
    }

    /// The seller's balance in `currency`; 0 when nothing was ever credited.
    public func balance(sellerID: UUID, currency: String) async throws -> Int64 {
        struct Row: Decodable { var amount_cents: Int64 }
        return try await self.database.sql.raw(
            """
            SELECT amount_cents FROM marketplace_balances
            WHERE seller_id = \(bind: sellerID) AND currency = \(bind: Self.normalised(currency))
            """
        ).first(decoding: Row.self)?.amount_cents ?? 0
    }

    /// One balance of a seller.
    public struct Entry: Sendable, Equatable, Decodable {
        /// Upper-case ISO 4217.
        public var currency: String
        public var amountCents: Int64

        enum CodingKeys: String, CodingKey {
            case currency
            case amountCents = "amount_cents"
        }
    }

    /// Every balance of the seller, the most recently changed first.
    public func balances(sellerID: UUID) async throws -> [Entry] {
        try await self.database.sql.raw(
            """
            SELECT currency, amount_cents FROM marketplace_balances
            WHERE seller_id = \(bind: sellerID) ORDER BY updated_at DESC, currency
            """
        ).all(decoding: Entry.self)
    }

    static func normalised(_ currency: String) -> String { currency.uppercased() }
}
