import Foundation
import Retry
import SQLKit

/// The durable job queue: jobs survive restarts, a claim is a time-limited lease, and a worker that
/// dies simply lets its lease expire so another worker re-claims the job.
///
/// On PostgreSQL claimers skip each other's locked rows (`FOR UPDATE SKIP LOCKED`), so many
/// `veza worker` processes share one queue; on SQLite the single `UPDATE … RETURNING` is atomic.
public struct JobQueue: Sendable {
    public let database: DatabaseClient
    /// How long a claim holds before another worker may take the job over.
    public var leaseDuration: TimeInterval
    public var backoff: Backoff

    /// 5 s after the first failure, doubling up to an hour, ±25 % so jobs that failed together do
    /// not retry together.
    public static let defaultBackoff = Backoff(base: .seconds(5), cap: .seconds(3600), jitter: .proportional(0.25))

    public init(database: DatabaseClient, leaseDuration: TimeInterval = 60, backoff: Backoff = JobQueue.defaultBackoff)
    {
        self.database = database
        self.leaseDuration = leaseDuration
        self.backoff = backoff
    }

    /// Adds a job.
    ///
    /// - Parameters:
    ///   - queue: The queue name, e.g. `transcode`.
    ///   - payload: Encoded as JSON.
    ///   - maxAttempts: Attempts before the job is buried as dead.
    ///   - runAt: Earliest start.
    ///   - connection: Pass the transaction's connection to enqueue atomically with other writes.
    /// - Returns: The job id.
    @discardableResult
    public func enqueue(
        queue: String,
        payload: some Encodable,
        maxAttempts: Int = 5,
        runAt: Date = Date(),
        on connection: (any SQLDatabase)? = nil
    ) async throws -> UUID {
        precondition(maxAttempts >= 1)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(payload), as: UTF8.self)
        let id = UUID()
        let now = Date()
        try await (connection ?? self.database.sql).raw(
            """
            INSERT INTO jobs (id, queue, payload, status, attempts, max_attempts, run_at, created_at, updated_at)
            VALUES (\(bind: id), \(bind: queue), \(bind: json), \(bind: JobStatus.queued.rawValue), 0,
                    \(bind: maxAttempts), \(bind: runAt), \(bind: now), \(bind: now))
            """
        ).run()
        return id
    }

    /// What a claim found.
    public enum Claim: Sendable, Equatable {
        /// Run this job: its attempt is counted and this worker holds its lease.
        case run(Job)
        /// Its attempts were used up by workers that died: it is buried now, and the handler must
        /// be told (``JobHandler/jobDied(_:reason:logger:)``).
        case buried(Job, reason: String)

        /// The job claimed or buried.
        public var job: Job {
            switch self {
            case .run(let job), .buried(let job, _): job
            }
        }
    }

    /// Claims the next due job of `queue`, or an abandoned one whose lease expired.
    ///
    /// On PostgreSQL the candidate is locked with `FOR UPDATE SKIP LOCKED` in a transaction, so
    /// concurrent claimers skip each other's rows; on SQLite the guarded update (status and attempts
    /// as read) lets exactly one of two racing claimers win, and the loser tries the next candidate.
    public func claim(queue: String, workerID: String, now: Date = Date()) async throws -> Claim? {
        if self.database.kind == .postgres {
            return try await self.database.transaction { connection in
                let candidates = try await self.candidates(queue: queue, now: now, limit: 1, on: connection)
                return try await self.claimFirst(of: candidates, workerID: workerID, now: now, on: connection)
            }
        }
        let candidates = try await self.candidates(queue: queue, now: now, limit: 8, on: self.database.sql)
        return try await self.claimFirst(of: candidates, workerID: workerID, now: now, on: self.database.sql)
    }

    /// Due queued jobs and running jobs whose lease expired, oldest first.
    private func candidates(queue: String, now: Date, limit: Int, on connection: any SQLDatabase) async throws -> [Job]
    {
        let lock = self.database.kind == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await connection.raw(
            """
            SELECT \(unsafeRaw: Job.columns) FROM jobs
            WHERE queue = \(bind: queue)
              AND ((status = 'queued' AND run_at <= \(bind: now)) OR (status = 'running' AND lease_expires_at < \(bind: now)))
            ORDER BY run_at, created_at
            LIMIT \(bind: limit)\(unsafeRaw: lock)
            """
        ).all(decoding: Job.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    private func claimFirst(
        of candidates: [Job],
        workerID: String,
        now: Date,
        on connection: any SQLDatabase
    )
        async throws -> Claim?
    {
        for candidate in candidates {
            var machine = Job.StateMachine(candidate, backoff: self.backoff)
            let leaseExpired = candidate.status == .running
            let holder: Holder = leaseExpired ? .expiredLease(now: now) : .nobody
            switch machine.apply(.claim(leaseExpired: leaseExpired, lastError: candidate.lastError)) {
            case .run(let transition):
                let lease = now.addingTimeInterval(self.leaseDuration)
                if let job = try await self.transition(
                    candidate,
                    transition,
                    holder: holder,
                    now: now,
                    set: "locked_by = \(bind: workerID), lease_expires_at = \(bind: lease)",
                    on: connection
                ) {
                    return .run(job)
                }
            case .bury(let transition, let reason):
                if let job = try await self.transition(
                    candidate,
                    transition,
                    holder: holder,
                    now: now,
                    set: "locked_by = NULL, lease_expires_at = NULL, last_error = \(bind: Self.clipped(reason))",
                    on: connection
                ) {
                    return .buried(job, reason: reason)
                }
            default:
                continue
            }
        }
        return nil
    }

    /// Extends the lease of a running job.
    ///
    /// - Returns: `false` when the lease was lost (it expired and another worker took the job):
    ///   the caller must stop working on it.
    public func heartbeat(_ job: Job, workerID: String, now: Date = Date()) async throws -> Bool {
        let rows = try await self.database.sql.raw(
            """
            UPDATE jobs SET lease_expires_at = \(bind: now.addingTimeInterval(self.leaseDuration)), updated_at = \(bind: now)
            WHERE id = \(bind: job.id) AND status = 'running' AND locked_by = \(bind: workerID)
            RETURNING id
            """
        ).all()
        return !rows.isEmpty
    }

    /// Marks a claimed job done.
    ///
    /// - Parameter connection: Pass a transaction's connection to finish the job atomically with
    ///   the handler's own writes.
    /// - Throws: ``DatabaseError/conflict(_:)`` when this worker no longer holds the job.
    public func complete(
        _ job: Job,
        workerID: String,
        now: Date = Date(),
        on connection: (any SQLDatabase)? = nil
    )
        async throws
    {
        var machine = Job.StateMachine(job, backoff: self.backoff)
        guard case .finish(let transition) = machine.apply(.succeed) else {
            throw DatabaseError.conflict("job \(job.id) is not running")
        }
        try await self.transitionHeld(
            job,
            transition,
            workerID: workerID,
            now: now,
            set: "locked_by = NULL, lease_expires_at = NULL",
            on: connection
        )
    }

    /// Records a failed attempt: the job is queued again after a backoff, or buried when no
    /// attempts are left.
    ///
    /// - Returns: The machine's decision (``Job/StateMachine/Action/retry(_:after:reason:)`` or
    ///   ``Job/StateMachine/Action/bury(_:reason:)``), so the caller can react to a dead job (e.g.
    ///   mark its track failed).
    @discardableResult
    public func fail(
        _ job: Job,
        workerID: String,
        error: String,
        now: Date = Date(),
        jitter: Double = Double.random(in: 0...1)
    ) async throws -> Job.StateMachine.Action {
        var machine = Job.StateMachine(job, backoff: self.backoff)
        let action = machine.apply(.fail(reason: error, jitter: jitter))
        let reason = Self.clipped(error)
        switch action {
        case .bury(let transition, _):
            try await self.transitionHeld(
                job,
                transition,
                workerID: workerID,
                now: now,
                set: "locked_by = NULL, lease_expires_at = NULL, last_error = \(bind: reason)"
            )
        case .retry(let transition, let delay, _):
            let runAt = now.addingTimeInterval(delay.seconds)
            try await self.transitionHeld(
                job,
                transition,
                workerID: workerID,
                now: now,
                set: "run_at = \(bind: runAt), locked_by = NULL, lease_expires_at = NULL, last_error = \(bind: reason)"
            )
        default:
            throw DatabaseError.conflict("job \(job.id) is not running")
        }
        return action
    }

    /// Hands a job back without counting the attempt: used on graceful shutdown.
    public func release(_ job: Job, workerID: String, now: Date = Date()) async throws {
        var machine = Job.StateMachine(job, backoff: self.backoff)
        guard case .handBack(let transition) = machine.apply(.release) else {
            throw DatabaseError.conflict("job \(job.id) is not running")
        }
        try await self.transitionHeld(
            job,
            transition,
            workerID: workerID,
            now: now,
            set: "run_at = \(bind: now), locked_by = NULL, lease_expires_at = NULL"
        )
    }

    /// Reads a job.
    public func job(id: UUID) async throws -> Job? {
        try await self.database.sql.raw("SELECT \(unsafeRaw: Job.columns) FROM jobs WHERE id = \(bind: id)")
            .first(decoding: Job.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    /// Counts jobs by status, for metrics and tests.
    public func counts(queue: String) async throws -> [JobStatus: Int] {
        let rows = try await self.database.sql.raw(
            "SELECT status, COUNT(*) AS n FROM jobs WHERE queue = \(bind: queue) GROUP BY status"
        ).all()
        var counts: [JobStatus: Int] = [:]
        for row in rows {
            if let status = JobStatus(rawValue: try row.decode(column: "status", as: String.self)) {
                counts[status] = try row.decode(column: "n", as: Int.self)
            }
        }
        return counts
    }

    /// Who may move a job on, beyond its status as read.
    private enum Holder {
        /// Queued: nobody holds it.
        case nobody
        /// Running, but its lease ran out before `now`.
        case expiredLease(now: Date)
        /// Running under this worker's lease.
        case worker(String)
    }

    /// The one place a job's status is written: `UPDATE jobs SET status = <to>, attempts = <machine's>
    /// … WHERE id AND status = <from> AND attempts = <as read>` plus the holder's guard.
    ///
    /// - Returns: The updated job, or nil when it moved on since it was read (another worker claimed
    ///   it, or the lease changed hands).
    private func transition(
        _ job: Job,
        _ transition: Job.StateMachine.Transition,
        holder: Holder,
        now: Date,
        set assignments: SQLQueryString,
        on connection: (any SQLDatabase)? = nil
    ) async throws -> Job? {
        let holderGuard: SQLQueryString
        switch holder {
        case .nobody: holderGuard = ""
        case .expiredLease(let now): holderGuard = " AND lease_expires_at < \(bind: now)"
        case .worker(let workerID): holderGuard = " AND locked_by = \(bind: workerID)"
        }
        return try await (connection ?? self.database.sql).raw(
            """
            UPDATE jobs SET status = \(bind: transition.to.rawValue), attempts = \(bind: transition.attempts),
                updated_at = \(bind: now), \(assignments)
            WHERE id = \(bind: job.id) AND status = \(bind: transition.from.rawValue)
              AND attempts = \(bind: job.attempts)\(holderGuard)
            RETURNING \(unsafeRaw: Job.columns)
            """
        ).first(decoding: Job.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    /// A transition of a job this worker holds; losing the lease is an error.
    private func transitionHeld(
        _ job: Job,
        _ transition: Job.StateMachine.Transition,
        workerID: String,
        now: Date,
        set assignments: SQLQueryString,
        on connection: (any SQLDatabase)? = nil
    ) async throws {
        let updated = try await self.transition(
            job,
            transition,
            holder: .worker(workerID),
            now: now,
            set: assignments,
            on: connection
        )
        guard updated != nil else {
            throw DatabaseError.conflict("job \(job.id) is no longer held by \(workerID): its lease expired")
        }
    }

    /// Errors are stored up to 2000 characters.
    private static func clipped(_ reason: String) -> String { String(reason.prefix(2000)) }
}
