import Database
import Foundation
import Logging
import Retry

/// Reverses the Stripe transfers of refunded orders: `reversal_pending` rows (the refund webhook
/// put them there with `next_retry_at`) are claimed, reversed with `Idempotency-Key` =
/// ``SellerTransfer/reversalIdempotencyKey`` (the row id and `:reversal`), and moved through ``TransferRepository/transition(_:from:to:changes:now:on:)``:
///
/// - reversed → `reversed` with the `trr_…` id; "already fully reversed" → `reversed` too;
/// - `resource_missing` → `permanently_failed` at once (retrying cannot help);
/// - any other failure → `retry_count + 1` and `next_retry_at` backed off from
///   ``PayoutPolicy/reversalBackoff``, until ``PayoutPolicy/reversalMaxRetries`` retries failed:
///   then `permanently_failed`.
public struct TransferReverser: Sendable {
    let transfers: TransferRepository
    let provider: (any SellerTransferProvider)?
    let policy: PayoutPolicy
    let logger: Logger
    let clock: @Sendable () -> Date

    public init(
        database: DatabaseClient,
        provider: (any SellerTransferProvider)?,
        policy: PayoutPolicy = PayoutPolicy(),
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.transfers = TransferRepository(database: database)
        self.provider = provider
        self.policy = policy
        self.logger = logger
        self.clock = now
    }

    /// What one attempt did.
    public enum Outcome: Sendable, Equatable {
        /// Reversed; the `trr_…` id, or `nil` when Stripe said it was already fully reversed.
        case reversed(String?)
        /// Failed; due again at `nextRetryAt`.
        case retrying(failures: Int, nextRetryAt: Date)
        /// `resource_missing`, or retries exhausted.
        case permanentlyFailed
        /// Not `reversal_pending`, not due, or claimed by another node.
        case skipped
        /// A database error, or the row moved after our call (logged).
        case interrupted
    }

    /// One pass over the due rows (at most ``PayoutPolicy/batchSize``).
    ///
    /// - Returns: The outcome per row attempted.
    @discardableResult
    public func reverseDue() async throws -> [Outcome] {
        var outcomes: [Outcome] = []
        for row in try await self.transfers.due(.reversalPending, now: self.clock(), limit: self.policy.batchSize) {
            outcomes.append(await self.attempt(row))
        }
        return outcomes
    }

    /// One attempt for `row` as read.
    @discardableResult
    public func attempt(_ row: SellerTransfer) async -> Outcome {
        guard row.status == .reversalPending else { return .skipped }
        let now = self.clock()
        let claimed: SellerTransfer
        do {
            guard let taken = try await self.transfers.claim(row, until: now + self.policy.claimLease, now: now) else {
                return .skipped
            }
            claimed = taken
        } catch {
            self.logger.error("reversal claim failed", metadata: self.metadata(row, error: error))
            return .interrupted
        }
        let result = await self.call(claimed)
        let later = self.clock()
        do {
            switch result {
            case .success(let reversalID):
                try await self.transfers.transition(
                    claimed.id,
                    from: .reversalPending,
                    to: .reversed,
                    changes: .init(stripeReversalID: reversalID, lastError: .some(nil)),
                    now: later
                )
                self.logger.info("transfer reversed", metadata: self.metadata(claimed))
                return .reversed(reversalID)
            case .failure(let error) where error == .alreadyReversed:
                try await self.transfers.transition(
                    claimed.id,
                    from: .reversalPending,
                    to: .reversed,
                    changes: .init(lastError: .some(error.description)),
                    now: later
                )
                self.logger.info("transfer was already fully reversed", metadata: self.metadata(claimed))
                return .reversed(nil)
            case .failure(let error) where error == .resourceMissing:
                return try await self.giveUp(claimed, failures: claimed.retryCount + 1, error: error, now: later)
            case .failure(let error):
                let decision = FailureDecision.after(
                    retryCount: claimed.retryCount,
                    maxRetries: self.policy.reversalMaxRetries,
                    backoff: self.policy.reversalBackoff
                )
                switch decision {
                case .giveUp(let failures):
                    return try await self.giveUp(claimed, failures: failures, error: error, now: later)
                case .retry(let failures, let delay):
                    let next = later + delay
                    try await self.transfers.reschedule(
                        claimed,
                        retryCount: failures,
                        nextRetryAt: next,
                        lastError: error.description,
                        now: later
                    )
                    var metadata = self.metadata(claimed, error: error)
                    metadata["transfer.retry_count"] = "\(failures)"
                    self.logger.warning("transfer reversal failed; it will be retried", metadata: metadata)
                    return .retrying(failures: failures, nextRetryAt: next)
                }
            }
        } catch {
            self.logger.error("reversal outcome not recorded", metadata: self.metadata(claimed, error: error))
            return .interrupted
        }
    }

    private func giveUp(
        _ row: SellerTransfer,
        failures: Int,
        error: SellerTransferProviderError,
        now: Date
    ) async throws -> Outcome {
        // The CHECK keeps next_retry_at only for reversal_pending; a dead end needs none, but
        // leaving it is harmless and keeps the last schedule visible.
        try await self.transfers.transition(
            row.id,
            from: .reversalPending,
            to: .permanentlyFailed,
            changes: .init(retryCount: failures, lastError: .some(error.description)),
            now: now
        )
        self.logger.error("transfer reversal permanently failed", metadata: self.metadata(row, error: error))
        return .permanentlyFailed
    }

    private func call(_ row: SellerTransfer) async -> Result<String, SellerTransferProviderError> {
        guard let provider = self.provider else {
            return .failure(.transient("no payout provider is configured (STRIPE_SECRET_KEY)"))
        }
        guard let providerID = row.stripeTransferID else {
            return .failure(.resourceMissing("the transfer has no Stripe transfer id to reverse"))
        }
        do {
            return .success(
                try await provider.reverseTransfer(
                    providerTransferID: providerID,
                    idempotencyKey: row.reversalIdempotencyKey
                )
            )
        } catch let error as SellerTransferProviderError {
            return .failure(error)
        } catch {
            return .failure(.transient("\(error)"))
        }
    }

    func metadata(_ row: SellerTransfer, error: (any Error)? = nil) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "transfer.id": "\(row.id.lowercased)",
            "order.id": "\(row.orderID.lowercased)",
        ]
        if let error { metadata["error.message"] = "\(error)" }
        return metadata
    }
}
