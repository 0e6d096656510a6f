import Database
import Foundation
import Logging
import Retry

/// Pays a seller transfer out through the ``SellerTransferProvider``: the webhook calls
/// ``send(_:)`` after its transaction commits, the retry worker calls ``attempt(_:)`` for due rows.
///
/// One attempt: claim the row (a guarded update of `next_retry_at`, so that two nodes never call
/// the provider for it at once), look up the seller's Connect account, ask for the transfer with
/// `Idempotency-Key` = the row id, then move the row through ``TransferRepository/transition(_:from:to:changes:now:on:)``:
/// `completed` with the `tr_…` id, or `failed` with `retry_count + 1` and a backed-off
/// `next_retry_at`, or, once ``PayoutPolicy/transferMaxRetries`` retries failed, `permanently_failed`.
public struct TransferSender: Sendable {
    let transfers: TransferRepository
    let accounts: SellerAccountRepository
    let provider: (any SellerTransferProvider)?
    let policy: PayoutPolicy
    let logger: Logger
    let clock: @Sendable () -> Date

    /// - Parameters:
    ///   - database: Where the transfer and account rows live.
    ///   - provider: `nil` when no payout provider is configured: attempts fail and are retried.
    ///   - policy: Retries and claim lease.
    ///   - logger: One line per outcome.
    ///   - now: The clock (tests move it).
    public init(
        database: DatabaseClient,
        provider: (any SellerTransferProvider)?,
        policy: PayoutPolicy = PayoutPolicy(),
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.transfers = TransferRepository(database: database)
        self.accounts = SellerAccountRepository(database: database)
        self.provider = provider
        self.policy = policy
        self.logger = logger
        self.clock = now
    }

    /// What one attempt did.
    public enum Outcome: Sendable, Equatable {
        /// Paid out: the provider's `tr_…` id.
        case completed(String)
        /// Failed; due again at `nextRetryAt` (`retry_count` = `failures`).
        case failed(failures: Int, nextRetryAt: Date)
        /// Retries exhausted.
        case permanentlyFailed
        /// Nothing was sent: not `pending`/`failed`, not due, claimed by another node, or gone.
        case skipped
        /// A database error, or another node moved the row after our call (logged).
        case interrupted
    }

    /// Sends the transfer if it is `pending` or `failed` and nobody else is sending it. Never
    /// throws: every outcome is logged, and a failure leaves the row for the retry worker.
    public func send(_ transferID: UUID) async {
        do {
            guard let row = try await self.transfers.find(transferID) else {
                self.logger.warning("transfer to send not found", metadata: ["transfer.id": "\(transferID.lowercased)"])
                return
            }
            await self.attempt(row)
        } catch {
            self.logger.error(
                "transfer could not be read; the retry worker will send it",
                metadata: ["transfer.id": "\(transferID.lowercased)", "error.message": "\(error)"]
            )
        }
    }

    /// One attempt for `row` as read (its status and `retry_count` guard the claim).
    @discardableResult
    public func attempt(_ row: SellerTransfer) async -> Outcome {
        guard row.status == .pending || row.status == .failed else { return .skipped }
        let now = self.clock()
        let claimed: SellerTransfer
        do {
            guard let taken = try await self.transfers.claim(row, until: now + self.policy.claimLease, now: now) else {
                self.logger.debug("transfer claimed elsewhere", metadata: self.metadata(row))
                return .skipped
            }
            claimed = taken
        } catch {
            self.logger.error("transfer claim failed", metadata: self.metadata(row, error: error))
            return .interrupted
        }
        let result: Result<String, SellerTransferProviderError>
        do {
            if try await self.transfers.orderStatus(of: claimed) == OrderStatus.refunded.rawValue {
                return await self.abandon(claimed)
            }
            result = try await self.call(claimed)
        } catch {
            self.logger.error(
                "transfer attempt could not read its order or account",
                metadata: self.metadata(claimed, error: error)
            )
            return .interrupted
        }
        return await self.record(result, for: claimed)
    }

    /// The provider call: the account first; a missing account or provider is a failure like any other.
    private func call(_ row: SellerTransfer) async throws -> Result<String, SellerTransferProviderError> {
        guard let provider = self.provider else {
            return .failure(.permanent("no payout provider is configured (STRIPE_SECRET_KEY)"))
        }
        guard let destination = try await self.accounts.find(sellerID: row.sellerID) else {
            return .failure(.permanent("the seller has no Stripe Connect account yet"))
        }
        let request = SellerTransferRequest(
            transferID: row.id,
            orderID: row.orderID,
            destination: destination,
            amountCents: row.amountCents,
            currency: row.currency
        )
        do {
            return .success(try await provider.createTransfer(request))
        } catch let error as SellerTransferProviderError {
            return .failure(error)
        } catch is CancellationError {
            return .failure(.transient("cancelled before the provider answered"))
        } catch {
            return .failure(.transient("\(error)"))
        }
    }

    private func record(_ result: Result<String, SellerTransferProviderError>, for row: SellerTransfer) async -> Outcome
    {
        let now = self.clock()
        do {
            switch result {
            case .success(let providerID):
                do {
                    try await self.transfers.transition(
                        row.id,
                        from: row.status,
                        to: .completed,
                        changes: .init(
                            stripeTransferID: providerID,
                            retryCount: 0,
                            nextRetryAt: .some(nil),
                            lastError: .some(nil)
                        ),
                        now: now
                    )
                } catch let error as MarketplaceError where error.codeString == "concurrent_change" {
                    return try await self.paidAfterAbandon(row, providerID: providerID, cause: error)
                }
                var metadata = self.metadata(row)
                metadata["transfer.stripe_id"] = "\(providerID)"
                self.logger.info("transfer completed", metadata: metadata)
                try await self.reverseIfRefundedMeanwhile(row, now: now)
                return .completed(providerID)
            case .failure(let error):
                let decision = FailureDecision.after(
                    retryCount: row.retryCount,
                    maxRetries: self.policy.transferMaxRetries,
                    backoff: self.policy.transferBackoff
                )
                let message = error.description
                switch (decision, row.status) {
                case (.giveUp(let failures), .failed):
                    try await self.transfers.transition(
                        row.id,
                        from: .failed,
                        to: .permanentlyFailed,
                        changes: .init(retryCount: failures, nextRetryAt: .some(nil), lastError: .some(message)),
                        now: now
                    )
                    self.logger.error("transfer permanently failed", metadata: self.metadata(row, error: error))
                    return .permanentlyFailed
                case (.giveUp(let failures), _), (.retry(let failures, _), _):
                    // A pending row always goes to failed first (the state machine has no
                    // pending → permanently_failed); with no retries left it is due at once.
                    let delay: Duration = if case .retry(_, let delay) = decision { delay } else { .zero }
                    let next = now + delay
                    if row.status == .pending {
                        try await self.transfers.transition(
                            row.id,
                            from: .pending,
                            to: .failed,
                            changes: .init(retryCount: failures, nextRetryAt: .some(next), lastError: .some(message)),
                            now: now
                        )
                    } else {
                        try await self.transfers.reschedule(
                            row,
                            retryCount: failures,
                            nextRetryAt: next,
                            lastError: message,
                            now: now
                        )
                    }
                    var metadata = self.metadata(row, error: error)
                    metadata["transfer.retry_count"] = "\(failures)"
                    self.logger.warning("transfer failed; it will be retried", metadata: metadata)
                    return .failed(failures: failures, nextRetryAt: next)
                }
            }
        } catch {
            // Another node moved the row after our call (or the database failed): reported, and
            // the row's own state decides what happens next.
            self.logger.error("transfer outcome not recorded", metadata: self.metadata(row, error: error))
            return .interrupted
        }
    }

    /// The order was refunded before the payout: nothing is owed, so nothing is sent
    /// (`pending`/`failed` → `failed` → `permanently_failed`, with the reason).
    private func abandon(_ row: SellerTransfer) async -> Outcome {
        let now = self.clock()
        let reason = "the order was refunded before the payout"
        do {
            if row.status == .pending {
                try await self.transfers.transition(
                    row.id,
                    from: .pending,
                    to: .failed,
                    changes: .init(lastError: .some(reason)),
                    now: now
                )
            }
            try await self.transfers.transition(
                row.id,
                from: .failed,
                to: .permanentlyFailed,
                changes: .init(nextRetryAt: .some(nil), lastError: .some(reason)),
                now: now
            )
            self.logger.notice("transfer abandoned: its order was refunded", metadata: self.metadata(row))
            return .permanentlyFailed
        } catch {
            self.logger.error("transfer outcome not recorded", metadata: self.metadata(row, error: error))
            return .interrupted
        }
    }

    /// The payout went through, but meanwhile the row was given up (a refund moved a `failed`
    /// row to `permanently_failed`): the money must come back. The reversal is asked for at once
    /// (its own idempotency key) and both ids are recorded on the row, whose status stays.
    private func paidAfterAbandon(
        _ row: SellerTransfer,
        providerID: String,
        cause: MarketplaceError
    ) async throws
        -> Outcome
    {
        guard let current = try await self.transfers.find(row.id), current.status == .permanentlyFailed,
            current.stripeTransferID == nil, let provider = self.provider
        else { throw cause }
        var metadata = self.metadata(current)
        metadata["transfer.stripe_id"] = "\(providerID)"
        var note = "paid out as \(providerID) after the row was given up (\(current.lastError ?? "no reason"))"
        var reversalID: String?
        do {
            reversalID = try await provider.reverseTransfer(
                providerTransferID: providerID,
                idempotencyKey: current.reversalIdempotencyKey
            )
            note += "; reversed as \(reversalID ?? "")"
            self.logger.error("transfer paid out after it was given up; reversed at once", metadata: metadata)
        } catch {
            note += "; the reversal failed (\(error)): an operator reverses it"
            metadata["error.message"] = "\(error)"
            self.logger.critical("transfer paid out after it was given up; reverse it by hand", metadata: metadata)
        }
        try await self.transfers.recordLatePayout(
            current,
            stripeTransferID: providerID,
            stripeReversalID: reversalID,
            note: note,
            now: self.clock()
        )
        return .interrupted
    }

    /// A refund that settled while Stripe was paying saw the row still `pending` and could not
    /// queue its reversal: queue it now. If the refund's own transaction already did, the guarded
    /// update finds the row moved, which is the same end.
    private func reverseIfRefundedMeanwhile(_ row: SellerTransfer, now: Date) async throws {
        guard try await self.transfers.orderStatus(of: row) == OrderStatus.refunded.rawValue else { return }
        do {
            try await self.transfers.transition(
                row.id,
                from: .completed,
                to: .reversalPending,
                changes: .init(retryCount: 0, nextRetryAt: .some(now)),
                now: now
            )
            self.logger.notice(
                "transfer completed after its order was refunded; reversal queued",
                metadata: self.metadata(row)
            )
        } catch let error as MarketplaceError where error.codeString == "concurrent_change" {
            let current = try await self.transfers.find(row.id)?.status
            guard current == .reversalPending || current == .reversed else { throw error }
        }
    }

    func metadata(_ row: SellerTransfer, error: (any Error)? = nil) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "transfer.id": "\(row.id.lowercased)",
            "order.id": "\(row.orderID.lowercased)",
            "transfer.status": "\(row.status.rawValue)",
        ]
        if let error { metadata["error.message"] = "\(error)" }
        return metadata
    }
}

extension Date {
    static func + (date: Date, duration: Duration) -> Date { date.addingTimeInterval(duration.seconds) }
}
