import Foundation

/// Where a job is in its life. See ``Job/StateMachine``.
public enum JobStatus: String, Codable, Sendable, CaseIterable {
    /// Waiting until `run_at` for a worker.
    case queued
    /// Claimed by a worker holding a lease until `lease_expires_at`.
    case running
    /// Done.
    case succeeded
    /// Gave up after `max_attempts`; `last_error` says why.
    case dead
}

/// A row of the durable job queue.
public struct Job: Codable, Sendable, Equatable {
    public var id: UUID
    public var queue: String
    /// JSON text; decode with ``payload(as:)``.
    public var payload: String
    public var status: JobStatus
    /// Claims so far, including the current one.
    public var attempts: Int
    public var maxAttempts: Int
    public var runAt: Date
    public var lockedBy: String?
    public var leaseExpiresAt: Date?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date

    /// Decodes the JSON payload.
    public func payload<T: Decodable>(as type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(self.payload.utf8))
    }
}

extension Job {
    /// Every column, in the order the queue selects them.
    static let columns =
        "id, queue, payload, status, attempts, max_attempts, run_at, locked_by, lease_expires_at, last_error, created_at, updated_at"
}
