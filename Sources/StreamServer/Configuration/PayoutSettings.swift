import Marketplace
import Retry

/// Seller payouts' timing (`TRANSFER_*`, `REVERSAL_*`): durations like `90s`, `15m`, `1h`, `14d`.
public struct PayoutSettings: Sendable, Equatable {
    /// `TRANSFER_RETRY_INTERVAL`: time between passes of the transfer retry worker.
    public var transferRetryInterval: Duration = .seconds(60)
    /// `TRANSFER_MAX_RETRIES`: retries after the first attempt before `permanently_failed`.
    public var transferMaxRetries = 5
    /// `TRANSFER_BACKOFF_BASE`: the wait after a transfer's first failure, doubled after each next one.
    public var transferBackoffBase: Duration = .seconds(60)
    /// `TRANSFER_BACKOFF_MAX`: no transfer waits longer between attempts.
    public var transferBackoffMax: Duration = .seconds(3600)
    /// `REVERSAL_CHECK_INTERVAL`: time between passes of the reversal worker.
    public var reversalCheckInterval: Duration = .seconds(60)
    /// `REVERSAL_MAX_RETRIES`: retries after the first reversal attempt before `permanently_failed`.
    public var reversalMaxRetries = 5
    /// `REVERSAL_BACKOFF_BASE`: the wait after a reversal's first transient failure, then doubled.
    public var reversalBackoffBase: Duration = .seconds(60)
    /// `REVERSAL_BACKOFF_MAX`: the cap of that wait.
    public var reversalBackoffMax: Duration = .seconds(3600)

    public init() {}

    init(env: Environment) throws {
        let durations: [(String, WritableKeyPath<PayoutSettings, Duration>)] = [
            ("TRANSFER_RETRY_INTERVAL", \.transferRetryInterval),
            ("TRANSFER_BACKOFF_BASE", \.transferBackoffBase),
            ("TRANSFER_BACKOFF_MAX", \.transferBackoffMax),
            ("REVERSAL_CHECK_INTERVAL", \.reversalCheckInterval),
            ("REVERSAL_BACKOFF_BASE", \.reversalBackoffBase),
            ("REVERSAL_BACKOFF_MAX", \.reversalBackoffMax),
        ]
        for (name, path) in durations {
            if let raw = env[name] {
                self[keyPath: path] = try AppConfiguration.duration(name, raw, maximum: 30 * 86400)
            }
        }
        for (name, path) in [
            ("TRANSFER_MAX_RETRIES", \PayoutSettings.transferMaxRetries),
            ("REVERSAL_MAX_RETRIES", \.reversalMaxRetries),
        ] {
            if let raw = env[name] {
                self[keyPath: path] = try env.integer(name, raw, in: 0...100, expected: "a count, 0 to 100")
            }
        }
    }

    /// The Marketplace module's view of these settings.
    public var policy: PayoutPolicy {
        PayoutPolicy(
            transferMaxRetries: self.transferMaxRetries,
            transferBackoff: Backoff(base: self.transferBackoffBase, cap: self.transferBackoffMax),
            reversalMaxRetries: self.reversalMaxRetries,
            reversalBackoff: Backoff(base: self.reversalBackoffBase, cap: self.reversalBackoffMax)
        )
    }
}
