import Database
import Foundation
import NIOCore
import SQLKit

extension UploadService {
    /// Takes the writer lease for a body about to be read, or refuses it before a byte is read:
    /// ``IngestError/uploadBusy`` when another writer holds the session or the chunk,
    /// ``IngestError/spoolQuotaExceeded`` when the owner's spool plus `reservedBytes` would pass
    /// `MAX_SPOOL_MB_PER_USER`, or whatever `check` throws (state, offset) under the session's lock.
    ///
    /// - Parameter patience: How long a busy lease is waited for (body still unread) before
    ///   ``IngestError/uploadBusy``: zero for chunks; for tus a moment, because a client resumes
    ///   right after cutting a connection whose request the server may not have finished yet.
    func acquireWriter(
        uploadID: UUID,
        ownerID: UUID,
        chunkIndex: Int?,
        reservedBytes: Int64,
        now: Date,
        patience: Duration = .zero,
        check: @escaping @Sendable (UploadSession, any SQLDatabase) async throws -> Void
    ) async throws -> UploadWriterLease {
        let deadline = ContinuousClock.now + patience
        while true {
            do {
                return try await self.tryAcquireWriter(
                    uploadID: uploadID,
                    ownerID: ownerID,
                    chunkIndex: chunkIndex,
                    reservedBytes: reservedBytes,
                    now: now,
                    check: check
                )
            } catch let error as IngestError where error == .uploadBusy && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    private func tryAcquireWriter(
        uploadID: UUID,
        ownerID: UUID,
        chunkIndex: Int?,
        reservedBytes: Int64,
        now: Date,
        check: @escaping @Sendable (UploadSession, any SQLDatabase) async throws -> Void
    ) async throws -> UploadWriterLease {
        let sessions = self.sessions
        let writers = self.writers
        let quota = self.configuration.maxSpoolBytesPerUser
        let leaseNow = max(now, Date())
        let expiry = leaseNow.addingTimeInterval(self.configuration.writerLeaseTTL)
        return try await self.database.transaction { db in
            guard let locked = try await sessions.find(id: uploadID, lock: true, on: db), locked.ownerID == ownerID
            else { throw IngestError.notFound }
            try await check(locked, db)
            guard try await writers.isFree(uploadID: uploadID, chunkIndex: chunkIndex, now: leaseNow, on: db) else {
                throw IngestError.uploadBusy
            }
            // Session lock, then owner lock: creates take only the owner lock, so no cycle.
            try await writers.lockOwner(ownerID, on: db)
            let spooled = try await writers.spooledBytes(ownerID: ownerID, now: leaseNow, on: db)
            guard spooled + reservedBytes <= quota else { throw IngestError.spoolQuotaExceeded(limit: quota) }
            return try await writers.insert(
                uploadID: uploadID,
                ownerID: ownerID,
                chunkIndex: chunkIndex,
                reservedBytes: reservedBytes,
                expiresAt: expiry,
                on: db
            )
        }
    }

    /// Runs `write` under `lease`, renewing it while the body streams and giving it up afterwards,
    /// whether `write` succeeded or not.
    func writing<Body: AsyncSequence, R: Sendable>(
        _ body: Body,
        under lease: UploadWriterLease,
        _ write: (AsyncThrowingMapSequence<Body, ByteBuffer>) async throws -> R
    ) async throws -> R where Body.Element == ByteBuffer {
        let keeper = WriterLeaseKeeper(lease: lease, writers: self.writers, ttl: self.configuration.writerLeaseTTL)
        let renewing = body.map { buffer in
            try await keeper.keepAlive()
            return buffer
        }
        // Released from a task of its own: a cut connection cancels the request's task, and a
        // lease left behind would refuse the client's resumption until it expires.
        let writers = self.writers
        do {
            let result = try await write(renewing)
            await Task { await writers.release(lease) }.value
            return result
        } catch {
            await Task { await writers.release(lease) }.value
            throw error
        }
    }
}

/// Renews a writer lease every third of its lifetime while bytes keep arriving.
actor WriterLeaseKeeper {
    let lease: UploadWriterLease
    let writers: UploadWriterRepository
    let ttl: TimeInterval
    private var renewedAt = Date()

    init(lease: UploadWriterLease, writers: UploadWriterRepository, ttl: TimeInterval) {
        self.lease = lease
        self.writers = writers
        self.ttl = ttl
    }

    /// Throws ``IngestError/uploadBusy`` when the lease lapsed and another writer took over.
    func keepAlive() async throws {
        let now = Date()
        guard now.timeIntervalSince(self.renewedAt) >= self.ttl / 3 else { return }
        guard try await self.writers.renew(self.lease, until: now.addingTimeInterval(self.ttl)) else {
            throw IngestError.uploadBusy
        }
        self.renewedAt = now
    }
}
