import Foundation

/// Where a seller transfer is. Every change goes through ``TransferStatus/canMove(to:)``
/// and the repository's one guarded `transition(from:to:)`.
///
/// ```
/// pending ──▶ completed | failed          failed ──▶ completed | permanently_failed
/// completed ──▶ reversal_pending          reversal_pending ──▶ reversed | permanently_failed
/// ```
public enum TransferStatus: String, Codable, Sendable, CaseIterable {
    /// The row exists; the Stripe transfer was not confirmed yet.
    case pending
    /// Stripe accepted the transfer; `stripe_transfer_id` holds its `tr_…` id.
    case completed
    /// No Connect account yet or a Stripe error; the retry worker tries again when due.
    case failed
    /// The order was refunded: the reversal worker reverses the transfer when due
    /// (a database CHECK makes `next_retry_at` non-null in this state).
    case reversalPending = "reversal_pending"
    /// Stripe reversed it (or reported it already fully reversed). Terminal.
    case reversed
    /// Given up (retries exhausted, or the transfer is missing at Stripe). Terminal; an operator looks.
    case permanentlyFailed = "permanently_failed"

    /// The statuses this one may move to; everything else is refused.
    public var allowedNext: Set<TransferStatus> {
        switch self {
        case .pending: [.completed, .failed]
        case .completed: [.reversalPending]
        case .failed: [.completed, .permanentlyFailed]
        case .reversalPending: [.reversed, .permanentlyFailed]
        case .reversed, .permanentlyFailed: []
        }
    }

    /// Whether `self → next` is an allowed transition.
    public func canMove(to next: TransferStatus) -> Bool {
        allowedNext.contains(next)
    }

    /// No transition leaves this status.
    public var isTerminal: Bool { allowedNext.isEmpty }
}
