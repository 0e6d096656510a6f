import Foundation

extension Job {
    /// The job life cycle as a value type: which transitions are allowed and what a failure leads to.
    ///
    /// The queue turns each decision into a guarded `UPDATE … WHERE status = <from>`; the machine
    /// itself does no I/O so it is tested on its own.
    public struct StateMachine: Sendable, Equatable {
        public private(set) var status: JobStatus
        public private(set) var attempts: Int
        public let maxAttempts: Int

        public init(status: JobStatus, attempts: Int, maxAttempts: Int) {
            self.status = status
            self.attempts = attempts
            self.maxAttempts = maxAttempts
        }

        /// What to do with a claimed job.
        public enum ClaimAction: Sendable, Equatable {
            /// Run the handler.
            case run
            /// The job's lease expired more times than it may be attempted: bury it.
            case giveUp
            /// Not claimable in this state.
            case refuse
        }

        /// What a failed attempt leads to.
        public enum FailureAction: Sendable, Equatable {
            /// Queue again, to run after this delay.
            case retry(after: TimeInterval)
            /// No attempts left.
            case giveUp
        }

        /// A worker claims the job (queued and due, or running with an expired lease).
        public mutating func claim(leaseExpired: Bool) -> ClaimAction {
            switch self.status {
            case .queued,
                .running where leaseExpired:
                self.status = .running
                self.attempts += 1
                if self.attempts > self.maxAttempts {
                    return .giveUp
                }
                return .run
            case .running, .succeeded, .dead:
                return .refuse
            }
        }

        /// The handler finished.
        public mutating func succeed() -> Bool {
            guard self.status == .running else { return false }
            self.status = .succeeded
            return true
        }

        /// The handler threw: retry with exponential backoff or give up.
        public mutating func fail(backoff: RetryBackoff, jitter: Double) -> FailureAction? {
            guard self.status == .running else { return nil }
            if self.attempts >= self.maxAttempts {
                self.status = .dead
                return .giveUp
            }
            self.status = .queued
            return .retry(after: backoff.delay(afterAttempt: self.attempts, jitter: jitter))
        }

        /// A worker shutting down hands the job back without using up an attempt.
        public mutating func release() -> Bool {
            guard self.status == .running else { return false }
            self.status = .queued
            self.attempts = max(0, self.attempts - 1)
            return true
        }
    }
}

/// Exponential backoff: `base × 2^(attempt-1)`, capped, with ±`jitter` spread so that jobs that
/// failed together do not retry together.
public struct RetryBackoff: Sendable, Equatable {
    public var base: TimeInterval
    public var cap: TimeInterval

    public init(base: TimeInterval = 5, cap: TimeInterval = 3600) {
        self.base = base
        self.cap = cap
    }

    /// - Parameters:
    ///   - attempt: The attempt that just failed, from 1.
    ///   - jitter: A value in -1...1 (random in production, fixed in tests), scaling ±25 %.
    public func delay(afterAttempt attempt: Int, jitter: Double) -> TimeInterval {
        let exponent = Double(min(max(attempt - 1, 0), 30))
        let raw = min(self.cap, self.base * pow(2, exponent))
        return max(0, raw * (1 + 0.25 * min(max(jitter, -1), 1)))
    }
}
