import Foundation
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
    public var backoff: RetryBackoff

    public init(database: DatabaseClient, leaseDuration: TimeInterval = 60, backoff: RetryBackoff = .init()) {
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

    /// Claims the next due job of `queue`, or an abandoned one whose lease expired.
    ///
    /// The returned job has `attempts` already counted. When its attempts are used up (a job whose
    /// worker kept dying) the worker must bury it: see ``Job/StateMachine/claim(leaseExpired:)``.
    public func claim(queue: String, workerID: String, now: Date = Date()) async throws -> Job? {
        let lock = self.database.kind == .postgres ? "FOR UPDATE SKIP LOCKED" : ""
        let rows = try await self.database.sql.raw(
            """
            UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = \(bind: workerID),
                lease_expires_at = \(bind: now.addingTimeInterval(self.leaseDuration)), updated_at = \(bind: now)
            WHERE id = (
                SELECT id FROM jobs
                WHERE queue = \(bind: queue)
                  AND ((status = 'queued' AND run_at <= \(bind: now)) OR (status = 'running' AND lease_expires_at < \(bind: now)))
                ORDER BY run_at, created_at
                LIMIT 1 \(unsafeRaw: lock)
            )
            AND (status = 'queued' OR (status = 'running' AND lease_expires_at < \(bind: now)))
            RETURNING \(unsafeRaw: Job.columns)
            """
        ).all()
        return try rows.first?.decode(model: Job.self, keyDecodingStrategy: .convertFromSnakeCase)
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
        var machine = Job.StateMachine(status: .running, attempts: job.attempts, maxAttempts: job.maxAttempts)
        _ = machine.succeed()
        try await self.guardedUpdate(
            job,
            workerID: workerID,
            set:
                "status = \(bind: machine.status.rawValue), locked_by = NULL, lease_expires_at = NULL, updated_at = \(bind: now)",
            on: connection
        )
    }

    /// Records a failed attempt: the job is queued again after a backoff, or buried when no
    /// attempts are left.
    ///
    /// - Returns: What happened, so the caller can react to a dead job (e.g. mark its track failed).
    @discardableResult
    public func fail(
        _ job: Job,
        workerID: String,
        error: String,
        now: Date = Date(),
        jitter: Double = Double.random(in: -1...1)
    ) async throws -> Job.StateMachine.FailureAction {
        var machine = Job.StateMachine(status: .running, attempts: job.attempts, maxAttempts: job.maxAttempts)
        let reason = String(error.prefix(2000))
        guard let action = machine.fail(backoff: self.backoff, jitter: jitter) else {
            throw DatabaseError.conflict("job \(job.id) is not running")
        }
        switch action {
        case .giveUp:
            try await self.guardedUpdate(
                job,
                workerID: workerID,
                set: """
                    status = \(bind: JobStatus.dead.rawValue), locked_by = NULL, lease_expires_at = NULL,
                    last_error = \(bind: reason), updated_at = \(bind: now)
                    """
            )
        case .retry(let delay):
            try await self.guardedUpdate(
                job,
                workerID: workerID,
                set: """
                    status = \(bind: JobStatus.queued.rawValue), run_at = \(bind: now.addingTimeInterval(delay)),
                    locked_by = NULL, lease_expires_at = NULL, last_error = \(bind: reason), updated_at = \(bind: now)
                    """
            )
        }
        return action
    }

    /// Hands a job back without counting the attempt: used on graceful shutdown.
    public func release(_ job: Job, workerID: String, now: Date = Date()) async throws {
        try await self.guardedUpdate(
            job,
            workerID: workerID,
            set: """
                status = \(bind: JobStatus.queued.rawValue), attempts = attempts - 1, run_at = \(bind: now),
                locked_by = NULL, lease_expires_at = NULL, updated_at = \(bind: now)
                """
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

    /// `UPDATE jobs SET … WHERE id AND status = 'running' AND locked_by = worker`: only the lease
    /// holder may move a running job on.
    private func guardedUpdate(
        _ job: Job,
        workerID: String,
        set assignments: SQLQueryString,
        on connection: (any SQLDatabase)? = nil
    ) async throws {
        let rows = try await (connection ?? self.database.sql).raw(
            """
            UPDATE jobs SET \(assignments)
            WHERE id = \(bind: job.id) AND status = 'running' AND locked_by = \(bind: workerID)
            RETURNING id
            """
        ).all()
        guard !rows.isEmpty else {
            throw DatabaseError.conflict("job \(job.id) is no longer held by \(workerID): its lease expired")
        }
    }
}
