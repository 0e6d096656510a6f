/// Exponential backoff: the one retry schedule of the whole product (job retries, S3 requests,
/// payment-provider calls, transfer and reversal retries).
///
/// The wait after failed attempt `n` (1-based) is at most ``ceiling(afterAttempt:)``,
/// `min(cap, base × 2ⁿ⁻¹)`, spread by ``Jitter`` so that callers that failed together do not
/// retry together.
public struct Backoff: Sendable, Hashable {
    /// How the wait is spread below or around its ceiling.
    public enum Jitter: Sendable, Hashable {
        /// Exactly the ceiling: a deterministic schedule (e.g. a `next_retry_at` column).
        case none
        /// Uniform in `0...ceiling` ("full jitter"): many clients retrying one server.
        case full
        /// `ceiling × (1 ± fraction)`: spread, but close to the schedule.
        case proportional(Double)
    }

    /// The ceiling of the first wait.
    public var base: Duration
    /// The ceiling of any wait.
    public var cap: Duration
    public var jitter: Jitter

    /// Creates a schedule.
    ///
    /// - Parameters:
    ///   - base: The ceiling of the wait after the first failure.
    ///   - cap: No wait is longer.
    ///   - jitter: How waits are spread.
    public init(base: Duration, cap: Duration, jitter: Jitter = .none) {
        self.base = max(.zero, base)
        self.cap = max(.zero, cap)
        self.jitter = jitter
    }

    /// `min(cap, base × 2ⁿ⁻¹)` for failed attempt `attempt` (1-based; values below 1 count as 1).
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 40)
        let scaled = self.base.seconds * Double(UInt64(1) << UInt64(exponent))
        return .seconds(min(self.cap.seconds, scaled))
    }

    /// The wait after failed attempt `attempt`.
    ///
    /// - Parameters:
    ///   - attempt: The attempt that just failed, from 1.
    ///   - unit: A number in `0...1` that places the wait within its jitter: random in production,
    ///     fixed in tests. Ignored by ``Jitter/none``.
    public func delay(afterAttempt attempt: Int, unit: Double = Double.random(in: 0...1)) -> Duration {
        let ceiling = self.ceiling(afterAttempt: attempt).seconds
        let u = min(max(unit, 0), 1)
        switch self.jitter {
        case .none:
            return .seconds(ceiling)
        case .full:
            return .seconds(ceiling * u)
        case .proportional(let fraction):
            let spread = min(max(fraction, 0), 1)
            return .seconds(max(0, ceiling * (1 + spread * (2 * u - 1))))
        }
    }
}

/// How many times a failing operation is tried, and how long to wait in between.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included (1 disables retries).
    public var maximumAttempts: Int
    public var backoff: Backoff

    /// Creates a policy.
    public init(maximumAttempts: Int, backoff: Backoff) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.backoff = backoff
    }

    /// No retries.
    public static let none = RetryPolicy(maximumAttempts: 1, backoff: Backoff(base: .zero, cap: .zero))

    /// Whether another attempt follows failed attempt `attempt` (1-based).
    public func allowsRetry(afterAttempt attempt: Int) -> Bool {
        attempt < self.maximumAttempts
    }
}

extension Duration {
    /// The duration in (fractional) seconds.
    public var seconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
