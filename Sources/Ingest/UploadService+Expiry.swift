import Foundation
import Storage

extension UploadService {
    /// What one garbage-collection pass freed.
    public struct GarbageReport: Sendable, Equatable {
        /// Sessions moved to `expired`, their chunks deleted.
        public var expiredSessions = 0
        /// Multipart uploads aborted by the sweep.
        public var abortedMultipartUploads = 0
        /// Spool folders removed that no live session owned.
        public var removedSpoolFolders = 0

        public init() {}
    }

    /// Frees what abandoned uploads hold: expires sessions past their deadline (chunks on disk and
    /// in the database), aborts multipart uploads under `tracks/` older than the session lifetime
    /// (left by a process that died mid-assembly), and removes spool folders of finished sessions.
    ///
    /// Safe to run on several nodes at once: each session is expired by a guarded update under
    /// its lock.
    ///
    /// - Parameters:
    ///   - now: The current time.
    ///   - batch: Sessions expired per query.
    public func collectGarbage(now: Date = Date(), batch: Int = 100) async throws -> GarbageReport {
        var report = GarbageReport()
        let staleBefore = now.addingTimeInterval(-self.configuration.staleAssemblyAfter)
        while true {
            let expired = try await self.sessions.expired(now: now, staleBefore: staleBefore, limit: batch)
            var progressed = false
            for candidate in expired {
                if try await self.expire(candidate.id, now: now, staleBefore: staleBefore) {
                    report.expiredSessions += 1
                    progressed = true
                }
            }
            if expired.count < batch || !progressed { break }
        }
        let cutoff = now.addingTimeInterval(-self.configuration.sessionTTL)
        for info in try await self.store.listMultipartUploads(prefix: "tracks/") where info.initiated < cutoff {
            await self.assembler.abandon(info.upload)
            report.abortedMultipartUploads += 1
            self.logger.info(
                "abandoned multipart upload aborted",
                metadata: ["upload.key": "\(info.upload.key)", "upload.multipart_id": "\(info.upload.uploadID)"]
            )
        }
        // Multipart uploads an outage kept from being aborted, on their backoff schedule.
        report.abortedMultipartUploads += await self.retryPendingAborts(now: now)
        report.removedSpoolFolders = try await self.removeOrphanSpoolFolders()
        return report
    }

    /// Expires one session; false when it is no longer receiving (or stalled assembling) or not yet due.
    private func expire(_ uploadID: UUID, now: Date, staleBefore: Date) async throws -> Bool {
        let sessions = self.sessions
        let expired = try await self.database.transaction { db -> UploadSession? in
            guard let session = try await sessions.find(id: uploadID, lock: true, on: db), session.expiresAt <= now
            else { return nil }
            var machine = UploadSession.StateMachine(status: session.status)
            if session.status == .assembling {
                // A stalled assembly first fails back to receiving; its leftovers are freed below.
                guard session.updatedAt < staleBefore,
                    case .transition(let from, let to) = machine.apply(.assemblyFailed),
                    try await sessions.transition(uploadID, from: from, to: to, now: now, on: db) != nil
                else { return nil }
            }
            guard case .transition(let from, let to) = machine.apply(.expire) else { return nil }
            try await sessions.deleteChunks(uploadID: uploadID, on: db)
            return try await sessions.transition(uploadID, from: from, to: to, now: now, on: db)
        }
        guard let expired else { return false }
        self.spool.removeAll(uploadID: uploadID)
        await self.freeAssemblyLeftovers(expired)
        self.logger.info("upload expired", metadata: ["upload.id": "\(uploadID.uuidString.lowercased())"])
        return true
    }

    /// Spool folders whose session is gone or finished (e.g. a crash between commit and cleanup).
    private func removeOrphanSpoolFolders() async throws -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: self.spool.directory)) ?? []
        var removed = 0
        for name in names {
            guard let id = UUID(uuidString: name) else { continue }
            let session = try await self.sessions.find(id: id)
            if let session, session.status == .receiving || session.status == .assembling { continue }
            self.spool.removeAll(uploadID: id)
            removed += 1
        }
        return removed
    }
}
