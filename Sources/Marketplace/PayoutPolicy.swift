import Retry

/// How seller transfers and their reversals are retried (`TRANSFER_*`, `REVERSAL_*`).
///
/// `retry_count` counts the failed attempts of the current phase (payout, then reversal): the
/// first attempt and up to `maxRetries` retries are made; the failure after those ends in
/// `permanently_failed`. Waits are ``Retry/Backoff`` without jitter (a `next_retry_at` column).
public struct PayoutPolicy: Sendable, Equatable {
    /// `TRANSFER_MAX_RETRIES`.
    public var transferMaxRetries: Int
    /// `TRANSFER_BACKOFF_BASE`, `TRANSFER_BACKOFF_MAX`.
    public var transferBackoff: Backoff
    /// `REVERSAL_MAX_RETRIES`.
    public var reversalMaxRetries: Int
    /// `REVERSAL_BACKOFF_BASE`, `REVERSAL_BACKOFF_MAX`.
    public var reversalBackoff: Backoff
    /// How long a node owns a row it claimed before calling the provider; a node that dies
    /// mid-call leaves the row due again after this.
    public var claimLease: Duration
    /// Rows per worker pass.
    public var batchSize: Int

    public init(
        transferMaxRetries: Int = 5,
        transferBackoff: Backoff = Backoff(base: .seconds(60), cap: .seconds(3600)),
        reversalMaxRetries: Int = 5,
        reversalBackoff: Backoff = Backoff(base: .seconds(60), cap: .seconds(3600)),
        claimLease: Duration = .seconds(300),
        batchSize: Int = 50
    ) {
        self.transferMaxRetries = max(0, transferMaxRetries)
        self.transferBackoff = transferBackoff
        self.reversalMaxRetries = max(0, reversalMaxRetries)
        self.reversalBackoff = reversalBackoff
        self.claimLease = claimLease
        self.batchSize = max(1, batchSize)
    }
}

/// What to do after a failed provider call, from the row's `retry_count` and the phase's limits.
enum FailureDecision: Equatable {
    /// Keep trying: `retry_count = failures`, due again after `delay`.
    case retry(failures: Int, delay: Duration)
    /// Retries exhausted: `permanently_failed`.
    case giveUp(failures: Int)

    static func after(retryCount: Int, maxRetries: Int, backoff: Backoff) -> Self {
        let failures = retryCount + 1
        if failures > maxRetries { return .giveUp(failures: failures) }
        return .retry(failures: failures, delay: backoff.delay(afterAttempt: failures, unit: 0))
    }
}
