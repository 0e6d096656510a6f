import Database
import Foundation
import SQLKit

/// SQL for upload sessions and their chunks. Status changes only through ``transition(_:from:to:now:set:on:)``.
struct UploadSessionRepository: Sendable {
    let database: DatabaseClient

    func insert(_ session: UploadSession, on connection: any SQLDatabase) async throws {
        try await connection.raw(
            """
            INSERT INTO upload_sessions (\(unsafeRaw: UploadSession.columns)) VALUES (
                \(bind: session.id), \(bind: session.ownerID), \(bind: session.filename), \(bind: session.declaredSize),
                \(bind: session.sha256), \(bind: session.contentType), \(bind: session.title),
                \(bind: session.visibility.rawValue), \(bind: session.chunkSize), \(bind: session.totalChunks),
                \(bind: session.status.rawValue), \(bind: session.trackID), \(bind: session.storageKey),
                \(bind: session.multipartUploadID), \(bind: session.expiresAt), \(bind: session.createdAt),
                \(bind: session.updatedAt))
            """
        ).run()
    }

    /// Reads a session; with `lock`, inside a transaction, holds its row until the transaction ends
    /// (`FOR UPDATE` on PostgreSQL, so two `veza serve` nodes serialise on one upload; SQLite's
    /// `BEGIN IMMEDIATE` already holds the single write lock).
    func find(id: UUID, lock: Bool = false, on connection: (any SQLDatabase)? = nil) async throws -> UploadSession? {
        let suffix = lock && self.database.kind == .postgres ? " FOR UPDATE" : ""
        return try await (connection ?? self.database.sql).raw(
            "SELECT \(unsafeRaw: UploadSession.columns) FROM upload_sessions WHERE id = \(bind: id)\(unsafeRaw: suffix)"
        ).first(decoding: UploadSession.self)
    }

    func chunks(uploadID: UUID, on connection: (any SQLDatabase)? = nil) async throws -> [UploadChunk] {
        try await (connection ?? self.database.sql).raw(
            """
            SELECT \(unsafeRaw: UploadChunk.columns) FROM upload_chunks
            WHERE upload_id = \(bind: uploadID) ORDER BY chunk_index
            """
        ).all(decoding: UploadChunk.self)
    }

    /// Records a chunk, replacing an earlier copy of the same index.
    func upsert(_ chunk: UploadChunk, on connection: any SQLDatabase) async throws {
        try await connection.raw(
            "DELETE FROM upload_chunks WHERE upload_id = \(bind: chunk.uploadID) AND chunk_index = \(bind: chunk.index)"
        ).run()
        try await connection.raw(
            """
            INSERT INTO upload_chunks (\(unsafeRaw: UploadChunk.columns)) VALUES (
                \(bind: chunk.uploadID), \(bind: chunk.index), \(bind: chunk.size), \(bind: chunk.sha256),
                \(bind: chunk.receivedAt))
            """
        ).run()
    }

    func deleteChunks(uploadID: UUID, on connection: (any SQLDatabase)? = nil) async throws {
        try await (connection ?? self.database.sql).raw(
            "DELETE FROM upload_chunks WHERE upload_id = \(bind: uploadID)"
        ).run()
    }

    /// Unfinished sessions of one owner (for the per-user cap).
    func activeCount(ownerID: UUID, now: Date, on connection: any SQLDatabase) async throws -> Int {
        let row = try await connection.raw(
            """
            SELECT COUNT(*) AS n FROM upload_sessions
            WHERE owner_id = \(bind: ownerID) AND status IN ('receiving', 'assembling') AND expires_at > \(bind: now)
            """
        ).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Sessions past their expiry that are still receiving, or whose assembly stalled before
    /// `staleBefore` (its process died), oldest first.
    func expired(now: Date, staleBefore: Date, limit: Int) async throws -> [UploadSession] {
        try await self.database.sql.raw(
            """
            SELECT \(unsafeRaw: UploadSession.columns) FROM upload_sessions
            WHERE expires_at <= \(bind: now)
              AND (status = 'receiving' OR (status = 'assembling' AND updated_at < \(bind: staleBefore)))
            ORDER BY expires_at LIMIT \(bind: limit)
            """
        ).all(decoding: UploadSession.self)
    }

    /// The guarded status change: `UPDATE … WHERE id AND status = from RETURNING`, with extra
    /// assignments.
    ///
    /// - Returns: The updated session, or nil when the session was not in `from` (someone else
    ///   moved it first).
    func transition(
        _ id: UUID,
        from: UploadStatus,
        to: UploadStatus,
        now: Date,
        set assignments: SQLQueryString? = nil,
        on connection: (any SQLDatabase)? = nil
    ) async throws -> UploadSession? {
        var extra: SQLQueryString = ""
        if let assignments { extra = ", \(assignments)" }
        return try await (connection ?? self.database.sql).raw(
            """
            UPDATE upload_sessions SET status = \(bind: to.rawValue), updated_at = \(bind: now)\(extra)
            WHERE id = \(bind: id) AND status = \(bind: from.rawValue)
            RETURNING \(unsafeRaw: UploadSession.columns)
            """
        ).first(decoding: UploadSession.self)
    }

    /// Records the object key and multipart upload of the assembly in progress.
    func recordAssemblyTarget(_ id: UUID, key: String?, multipartUploadID: String?, now: Date) async throws {
        try await self.database.sql.raw(
            """
            UPDATE upload_sessions SET storage_key = \(bind: key), multipart_upload_id = \(bind: multipartUploadID),
                updated_at = \(bind: now)
            WHERE id = \(bind: id) AND status = 'assembling'
            """
        ).run()
    }
}
