import Database
import Foundation
import SQLKit

/// The right to feed one upload's prefix into the store while its chunks arrive.
struct AssemblerLease: Sendable, Equatable {
    let uploadID: UUID
    /// Tells this lease from a later one on the same upload.
    let holder: UUID
}

/// SQL for `upload_assemblers`: at most one live row per upload, so one node drives an upload's
/// assembly at a time; a crashed node's row lapses at its expiry.
struct AssemblerLeaseRepository: Sendable {
    let database: DatabaseClient

    /// Takes the upload's lease until `expiry`, dropping a lapsed one first.
    ///
    /// - Returns: The lease, or nil when another live holder has it.
    func acquire(uploadID: UUID, now: Date, until expiry: Date) async throws -> AssemblerLease? {
        let lease = AssemblerLease(uploadID: uploadID, holder: UUID())
        let inserted = try await self.database.transaction { db in
            try await db.raw(
                "DELETE FROM upload_assemblers WHERE upload_id = \(bind: uploadID) AND expires_at <= \(bind: now)"
            ).run()
            return try await db.raw(
                """
                INSERT INTO upload_assemblers (upload_id, holder, expires_at)
                VALUES (\(bind: uploadID), \(bind: lease.holder), \(bind: expiry))
                ON CONFLICT (upload_id) DO NOTHING RETURNING holder
                """
            ).all().count
        }
        return inserted == 1 ? lease : nil
    }

    /// Pushes the lease's expiry out; false when it is no longer held (it lapsed and another node took it).
    func renew(_ lease: AssemblerLease, until expiry: Date) async throws -> Bool {
        try await self.database.sql.raw(
            """
            UPDATE upload_assemblers SET expires_at = \(bind: expiry)
            WHERE upload_id = \(bind: lease.uploadID) AND holder = \(bind: lease.holder)
            RETURNING holder
            """
        ).all().count == 1
    }

    /// Gives the lease up (if this fails, it simply lapses).
    func release(_ lease: AssemblerLease) async {
        try? await self.database.sql.raw(
            "DELETE FROM upload_assemblers WHERE upload_id = \(bind: lease.uploadID) AND holder = \(bind: lease.holder)"
        ).run()
    }
}
