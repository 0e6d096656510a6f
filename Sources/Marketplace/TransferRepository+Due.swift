import Database
import Foundation
import SQLKit

/// The workers' queries: due rows, claims and reschedules. None of them writes `status`: status
/// changes stay in ``TransferRepository/transition(_:from:to:changes:now:on:)``.
extension TransferRepository {
    /// Rows in `status` whose `next_retry_at` has come, the longest-waiting first.
    public func due(_ status: TransferStatus, now: Date, limit: Int) async throws -> [SellerTransfer] {
        try await self.database.sql.raw(
            """
            SELECT \(unsafeRaw: SellerTransfer.columns) FROM marketplace_transfers
            WHERE status = \(bind: status.rawValue) AND next_retry_at IS NOT NULL AND next_retry_at <= \(bind: now)
            ORDER BY next_retry_at, id LIMIT \(bind: limit)
            """
        ).all(decoding: SellerTransfer.self)
    }

    /// `pending` rows nobody is sending: never claimed and created before `createdBefore` (the
    /// process died between the webhook's commit and its Stripe call), or whose claim expired.
    public func stalePending(createdBefore: Date, now: Date, limit: Int) async throws -> [SellerTransfer] {
        try await self.database.sql.raw(
            """
            SELECT \(unsafeRaw: SellerTransfer.columns) FROM marketplace_transfers
            WHERE status = 'pending' AND ((next_retry_at IS NULL AND created_at <= \(bind: createdBefore))
                OR (next_retry_at IS NOT NULL AND next_retry_at <= \(bind: now)))
            ORDER BY created_at, id LIMIT \(bind: limit)
            """
        ).all(decoding: SellerTransfer.self)
    }

    /// Takes the row for one provider call: pushes `next_retry_at` to `until`, guarded by the
    /// status and `retry_count` read and by the row being due (or never scheduled).
    ///
    /// - Returns: The claimed row, or `nil` when another node claimed or moved it first (a lost
    ///   race, not an error: that node makes the call).
    public func claim(_ transfer: SellerTransfer, until: Date, now: Date) async throws -> SellerTransfer? {
        try await self.database.sql.raw(
            """
            UPDATE marketplace_transfers SET next_retry_at = \(bind: until), updated_at = \(bind: now)
            WHERE id = \(bind: transfer.id) AND status = \(bind: transfer.status.rawValue)
                AND retry_count = \(bind: transfer.retryCount)
                AND (next_retry_at IS NULL OR next_retry_at <= \(bind: now))
            RETURNING \(unsafeRaw: SellerTransfer.columns)
            """
        ).first(decoding: SellerTransfer.self)
    }

    /// Records a failed attempt without a status change (`failed` stays `failed`,
    /// `reversal_pending` stays `reversal_pending`), guarded by the claimed `retry_count`.
    ///
    /// - Throws: ``MarketplaceError/concurrentChange(_:)`` when the row moved meanwhile.
    @discardableResult
    public func reschedule(
        _ transfer: SellerTransfer,
        retryCount: Int,
        nextRetryAt: Date,
        lastError: String,
        now: Date
    ) async throws -> SellerTransfer {
        let updated = try await self.database.sql.raw(
            """
            UPDATE marketplace_transfers SET retry_count = \(bind: retryCount), next_retry_at = \(bind: nextRetryAt),
                last_error = \(bind: lastError), updated_at = \(bind: now)
            WHERE id = \(bind: transfer.id) AND status = \(bind: transfer.status.rawValue)
                AND retry_count = \(bind: transfer.retryCount)
            RETURNING \(unsafeRaw: SellerTransfer.columns)
            """
        ).first(decoding: SellerTransfer.self)
        guard let updated else {
            throw MarketplaceError.concurrentChange(
                "transfer \(transfer.id.lowercased) changed while its retry was being recorded"
            )
        }
        return updated
    }

    /// Makes a `failed` row due now (an administrator's retry); `nil` when it is not `failed`.
    public func makeDueNow(_ id: UUID, status: TransferStatus, now: Date) async throws -> SellerTransfer? {
        try await self.database.sql.raw(
            """
            UPDATE marketplace_transfers SET next_retry_at = \(bind: now), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND status = \(bind: status.rawValue)
            RETURNING \(unsafeRaw: SellerTransfer.columns)
            """
        ).first(decoding: SellerTransfer.self)
    }

    /// The seller's transfers, the newest first.
    public func forSeller(_ sellerID: UUID, limit: Int = 100) async throws -> [SellerTransfer] {
        try await self.database.sql.raw(
            """
            SELECT \(unsafeRaw: SellerTransfer.columns) FROM marketplace_transfers
            WHERE seller_id = \(bind: sellerID) ORDER BY created_at DESC, id LIMIT \(bind: limit)
            """
        ).all(decoding: SellerTransfer.self)
    }
}

extension TransferRepository {
    /// Makes the seller's `failed` transfers due now (their account was just set).
    public func makeSellerFailuresDue(_ sellerID: UUID, now: Date) async throws {
        try await self.database.sql.raw(
            """
            UPDATE marketplace_transfers SET next_retry_at = \(bind: now), updated_at = \(bind: now)
            WHERE seller_id = \(bind: sellerID) AND status = 'failed' AND next_retry_at > \(bind: now)
            """
        ).run()
    }
}

extension TransferRepository {
    /// The raw status of the transfer's order (`refunded`, `refund_pending`, …), read before and
    /// after a payout so that a refund racing the Stripe call never leaves a refunded order paid.
    func orderStatus(of transfer: SellerTransfer) async throws -> String? {
        struct Row: Decodable { var status: String }
        return try await self.database.sql.raw(
            "SELECT status FROM marketplace_orders WHERE id = \(bind: transfer.orderID)"
        ).first(decoding: Row.self)?.status
    }
}

extension TransferRepository {
    /// Records, without a status change, the ids of a payout that went through after its row was
    /// given up (and of its immediate reversal), so the row says where the money went.
    func recordLatePayout(
        _ transfer: SellerTransfer,
        stripeTransferID: String,
        stripeReversalID: String?,
        note: String,
        now: Date
    ) async throws {
        try await self.database.sql.raw(
            """
            UPDATE marketplace_transfers SET stripe_transfer_id = \(bind: stripeTransferID),
                stripe_reversal_id = \(bind: stripeReversalID), last_error = \(bind: note), updated_at = \(bind: now)
            WHERE id = \(bind: transfer.id) AND status = 'permanently_failed' AND stripe_transfer_id IS NULL
            """
        ).run()
    }
}
