import Database
import Foundation
import Retry
import SQLKit

/// A multipart upload an assembly started that is not yet known to be completed or aborted.
struct PendingAbort: Codable, Sendable, Equatable {
    /// The attempt's own object key (a fresh track id per attempt), so every multipart upload
    /// listed under it belongs to this record.
    var objectKey: String
    var uploadID: UUID
    /// Nil while `CreateMultipartUpload` has not answered: the store may have created one anyway.
    var multipartUploadID: String?
    var attempts: Int
    var nextAttemptAt: Date

    enum CodingKeys: String, CodingKey {
        case objectKey = "object_key"
        case uploadID = "upload_id"
        case multipartUploadID = "multipart_upload_id"
        case attempts
        case nextAttemptAt = "next_attempt_at"
    }

    static let columns = "object_key, upload_id, multipart_upload_id, attempts, next_attempt_at"
}

/// SQL for `upload_pending_aborts`: a record is written before `CreateMultipartUpload` and removed
/// only once the upload is completed or an abort succeeded, so an outage in between cannot orphan it.
struct PendingAbortRepository: Sendable {
    let database: DatabaseClient

    /// The wait before an abort that failed `attempts` times is tried again by the janitor.
    static let backoff = Backoff(base: .seconds(30), cap: .seconds(3600))

    /// Records an assembly's key before its multipart upload is created.
    ///
    /// - Parameter nextAttemptAt: When the janitor may abort it: after the assembly would be
    ///   presumed dead, so that a live one is left alone (its owner's `complete` and abort do not wait).
    func record(uploadID: UUID, key: String, now: Date, nextAttemptAt: Date) async throws {
        try await self.database.sql.raw(
            """
            INSERT INTO upload_pending_aborts (object_key, upload_id, multipart_upload_id, attempts, next_attempt_at,
                created_at)
            VALUES (\(bind: key), \(bind: uploadID), NULL, 0, \(bind: nextAttemptAt), \(bind: now))
            """
        ).run()
    }

    /// Keeps the janitor off a live assembly's record until `date`.
    func postpone(key: String, until date: Date) async throws {
        try await self.database.sql.raw(
            "UPDATE upload_pending_aborts SET next_attempt_at = \(bind: date) WHERE object_key = \(bind: key)"
        ).run()
    }

    /// Adds the store's id once `CreateMultipartUpload` answered.
    func setMultipartUploadID(_ id: String, key: String) async throws {
        try await self.database.sql.raw(
            "UPDATE upload_pending_aborts SET multipart_upload_id = \(bind: id) WHERE object_key = \(bind: key)"
        ).run()
    }

    /// The upload behind `key` is completed or aborted: nothing is pending any more.
    func remove(key: String) async throws {
        try await self.database.sql.raw("DELETE FROM upload_pending_aborts WHERE object_key = \(bind: key)").run()
    }

    /// An abort failed: counted, and the next try pushed out by ``backoff``.
    func failed(_ pending: PendingAbort, now: Date) async throws {
        let attempts = pending.attempts + 1
        let next = now.addingTimeInterval(Self.backoff.delay(afterAttempt: attempts).seconds)
        try await self.database.sql.raw(
            """
            UPDATE upload_pending_aborts SET attempts = \(bind: attempts), next_attempt_at = \(bind: next)
            WHERE object_key = \(bind: pending.objectKey)
            """
        ).run()
    }

    /// The records of one upload session, due or not.
    func forUpload(_ uploadID: UUID) async throws -> [PendingAbort] {
        try await self.database.sql.raw(
            """
            SELECT \(unsafeRaw: PendingAbort.columns) FROM upload_pending_aborts
            WHERE upload_id = \(bind: uploadID) ORDER BY created_at
            """
        ).all(decoding: PendingAbort.self)
    }

    /// Records whose next try is due, oldest first.
    func due(now: Date, limit: Int) async throws -> [PendingAbort] {
        try await self.database.sql.raw(
            """
            SELECT \(unsafeRaw: PendingAbort.columns) FROM upload_pending_aborts
            WHERE next_attempt_at <= \(bind: now) ORDER BY next_attempt_at LIMIT \(bind: limit)
            """
        ).all(decoding: PendingAbort.self)
    }
}
