import Retry

extension Job {
    /// The job life cycle as a value type, without I/O.
    ///
    /// ```
    /// queued ──claim──▶ running ──succeed──▶ succeeded
    ///   ▲                 │ │
    ///   └──fail (retry)───┘ └──fail (last attempt) / claim (attempts used up)──▶ dead
    ///   └──release────────┘      (a running job whose lease expired is claimed again)
    /// ```
    ///
    /// Each event returns an ``Action``: what to write (one guarded `UPDATE … WHERE status = <from>`
    /// in ``JobQueue``) and what the worker does next. The machine decides the retry rule and the
    /// backoff; the queue and the worker only carry the decision out.
    public struct StateMachine: Sendable, Equatable {
        public private(set) var status: JobStatus
        /// Claims so far, including the current one.
        public private(set) var attempts: Int
        public let maxAttempts: Int
        /// The wait before a failed job runs again.
        public let backoff: Backoff

        public init(status: JobStatus, attempts: Int, maxAttempts: Int, backoff: Backoff = JobQueue.defaultBackoff) {
            self.status = status
            self.attempts = attempts
            self.maxAttempts = maxAttempts
            self.backoff = backoff
        }

        /// The machine of a stored job.
        public init(_ job: Job, backoff: Backoff = JobQueue.defaultBackoff) {
            self.init(status: job.status, attempts: job.attempts, maxAttempts: job.maxAttempts, backoff: backoff)
        }

        public enum Event: Sendable, Equatable {
            /// A worker claims the job: queued and due, or running with an expired lease (its worker
            /// died). `lastError` is the job's recorded error, the reason if it must be buried.
            case claim(leaseExpired: Bool, lastError: String?)
            /// The handler finished.
            case succeed
            /// The handler threw. `jitter` in `0...1` places the retry within the backoff's spread
            /// (random in production, fixed in tests).
            case fail(reason: String, jitter: Double)
            /// A worker shutting down hands the job back without using up an attempt.
            case release
        }

        /// The status write an action needs: guarded by `from` (and by the attempts read with it).
        public struct Transition: Sendable, Equatable {
            public let from: JobStatus
            public let to: JobStatus
            /// The attempts to store.
            public let attempts: Int

            public init(from: JobStatus, to: JobStatus, attempts: Int) {
                self.from = from
                self.to = to
                self.attempts = attempts
            }
        }

        public enum Action: Sendable, Equatable {
            /// Claimed: write `running` with the attempt counted, then run the handler.
            case run(Transition)
            /// Failed with attempts left: write `queued`, due again after `after`.
            case retry(Transition, after: Duration, reason: String)
            /// No attempts left: write `dead` with the reason, then tell the handler.
            case bury(Transition, reason: String)
            /// The handler finished: write `succeeded`.
            case finish(Transition)
            /// Handed back on shutdown: write `queued`, due at once, the attempt returned.
            case handBack(Transition)
            /// The event does not apply in this state; nothing is written.
            case reject(from: JobStatus)
        }

        public mutating func apply(_ event: Event) -> Action {
            let from = self.status
            switch (from, event) {
            case (.queued, .claim(_, let lastError)), (.running, .claim(leaseExpired: true, let lastError)):
                let attempts = self.attempts + 1
                if attempts > self.maxAttempts {
                    // Its workers kept dying: each expired lease used an attempt.
                    let reason = lastError ?? "the worker running it stopped \(self.maxAttempts) times"
                    return self.move(to: .dead, attempts: attempts, { .bury($0, reason: reason) })
                }
                return self.move(to: .running, attempts: attempts, Action.run)
            case (.running, .succeed):
                return self.move(to: .succeeded, attempts: self.attempts, Action.finish)
            case (.running, .fail(let reason, let jitter)):
                if self.attempts >= self.maxAttempts {
                    return self.move(to: .dead, attempts: self.attempts, { .bury($0, reason: reason) })
                }
                let delay = self.backoff.delay(afterAttempt: self.attempts, unit: jitter)
                return self.move(to: .queued, attempts: self.attempts, { .retry($0, after: delay, reason: reason) })
            case (.running, .release):
                return self.move(to: .queued, attempts: max(0, self.attempts - 1), Action.handBack)
            default:
                return .reject(from: from)
            }
        }

        private mutating func move(
            to: JobStatus,
            attempts: Int,
            _ action: (Transition) -> Action
        ) -> Action {
            let transition = Transition(from: self.status, to: to, attempts: attempts)
            self.status = to
            self.attempts = attempts
            return action(transition)
        }
    }
}
