import Database
import Foundation
import SQLKit

/// The right to write into one upload's spool: the whole session (a tus `PATCH`) or one chunk
/// (a chunk `PUT`). Held in the database, so writers on every `veza serve` node sharing it
/// exclude each other, and with an expiry, so a crashed writer does not block the upload for ever.
struct UploadWriterLease: Sendable, Equatable {
    /// ``UploadWriterRepository/wholeSession`` for a tus writer.
    let uploadID: UUID
    let chunkIndex: Int
    /// Tells this lease from a later one on the same key.
    let holder: UUID
}

/// SQL for `upload_writers`: one row per live writer, with the bytes it may still write (for
/// `MAX_SPOOL_MB_PER_USER`).
struct UploadWriterRepository: Sendable {
    let database: DatabaseClient

    /// The chunk index a whole-session writer (tus) is recorded under.
    static let wholeSession = -1

    /// Whether `chunkIndex` (nil: the whole session) is free to write: no live writer holds it
    /// (or, for the whole session, any chunk of it; for a chunk, the whole session). Expired
    /// leases are dropped first. Call inside the transaction that holds the session's lock.
    func isFree(uploadID: UUID, chunkIndex: Int?, now: Date, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            "DELETE FROM upload_writers WHERE upload_id = \(bind: uploadID) AND expires_at <= \(bind: now)"
        ).run()
        let live = try await db.raw(
            "SELECT chunk_index FROM upload_writers WHERE upload_id = \(bind: uploadID)"
        ).all().map { try $0.decode(column: "chunk_index", as: Int.self) }
        guard let chunkIndex else { return live.isEmpty }
        return !live.contains(chunkIndex) && !live.contains(Self.wholeSession)
    }

    /// Records a new lease (after ``isFree(uploadID:chunkIndex:now:on:)``, in the same transaction).
    func insert(
        uploadID: UUID,
        ownerID: UUID,
        chunkIndex: Int?,
        reservedBytes: Int64,
        expiresAt: Date,
        on db: any SQLDatabase
    ) async throws -> UploadWriterLease {
        let lease = UploadWriterLease(uploadID: uploadID, chunkIndex: chunkIndex ?? Self.wholeSession, holder: UUID())
        try await db.raw(
            """
            INSERT INTO upload_writers (upload_id, chunk_index, owner_id, holder, reserved_bytes, expires_at)
            VALUES (\(bind: uploadID), \(bind: lease.chunkIndex), \(bind: ownerID), \(bind: lease.holder),
                \(bind: reservedBytes), \(bind: expiresAt))
            """
        ).run()
        return lease
    }

    /// Pushes the lease's expiry out; false when it is no longer held (it expired and another
    /// writer took it).
    func renew(_ lease: UploadWriterLease, until expiry: Date) async throws -> Bool {
        try await self.database.sql.raw(
            """
            UPDATE upload_writers SET expires_at = \(bind: expiry)
            WHERE upload_id = \(bind: lease.uploadID) AND chunk_index = \(bind: lease.chunkIndex)
              AND holder = \(bind: lease.holder)
            RETURNING holder
            """
        ).all().count == 1
    }

    /// Gives the lease up (if this fails, the lease simply expires).
    func release(_ lease: UploadWriterLease) async {
        try? await self.database.sql.raw(
            """
            DELETE FROM upload_writers
            WHERE upload_id = \(bind: lease.uploadID) AND chunk_index = \(bind: lease.chunkIndex)
              AND holder = \(bind: lease.holder)
            """
        ).run()
    }

    /// What one owner has in the spool: the chunks of their unfinished uploads, plus what their
    /// live writers may still add.
    func spooledBytes(ownerID: UUID, now: Date, on db: any SQLDatabase) async throws -> Int64 {
        let chunks =
            try await db.raw(
                """
                SELECT CAST(COALESCE(SUM(c.size_bytes), 0) AS BIGINT) AS n FROM upload_chunks c
                JOIN upload_sessions s ON s.id = c.upload_id
                WHERE s.owner_id = \(bind: ownerID) AND s.status IN ('receiving', 'assembling')
                """
            ).first()?.decode(column: "n", as: Int64.self) ?? 0
        let writing =
            try await db.raw(
                """
                SELECT CAST(COALESCE(SUM(reserved_bytes), 0) AS BIGINT) AS n FROM upload_writers
                WHERE owner_id = \(bind: ownerID) AND expires_at > \(bind: now)
                """
            ).first()?.decode(column: "n", as: Int64.self) ?? 0
        return chunks + writing
    }

    /// Serialises one owner's quota and session-cap checks with their writes until the transaction
    /// ends: an advisory lock on PostgreSQL (nodes share it); SQLite's `BEGIN IMMEDIATE` already
    /// holds the single write lock.
    func lockOwner(_ ownerID: UUID, on db: any SQLDatabase) async throws {
        guard self.database.kind == .postgres else { return }
        let bytes = ownerID.uuid
        let key = Int32(
            bitPattern: UInt32(bytes.0) << 24 | UInt32(bytes.1) << 16 | UInt32(bytes.2) << 8 | UInt32(bytes.3)
        )
        try await db.raw("SELECT pg_advisory_xact_lock(\(bind: Self.ownerLockClass), \(bind: key))").run()
    }

    /// The first key of the owner advisory locks ("VEZ" + 1), apart from other advisory locks.
    static let ownerLockClass: Int32 = 0x5645_5A01
}
