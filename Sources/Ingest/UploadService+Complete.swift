import Catalog
import Database
import Foundation
import SQLKit
import Storage

extension UploadService {
    /// The track an upload became.
    public struct Completion: Sendable {
        public var track: Track
        /// True for the call that created the track; false when a repeated `complete` found it.
        public var created: Bool
    }

    /// What the locked first step of `complete` decided.
    private enum Claim: Sendable {
        case alreadyCompleted(UUID)
        case assemble(UploadSession, [UploadChunk])
    }

    /// Assembles the chunks into the store, verifies size and SHA-256, and creates the track and
    /// its transcode job; idempotent.
    ///
    /// - Parameters:
    ///   - sha256: The whole file's digest (hex), from a client that hashed the file while sending
    ///     the chunks rather than declaring it at ``create(ownerID:_:now:)``; checked like a
    ///     declared one. It must equal the declared one when both are given.
    /// - Throws: ``IngestError/invalidArgument`` (a malformed `sha256`, or one that differs from
    ///   the declared digest; nothing changes), ``IngestError/missingChunks``,
    ///   ``IngestError/assemblyInProgress`` (another call is assembling),
    ///   ``IngestError/unsupportedMediaType`` (nothing stored), ``IngestError/checksumMismatch`` or
    ///   ``IngestError/sizeMismatch`` (nothing stored, chunks kept),
    ///   ``IngestError/storeUnavailable`` (chunks kept; call again later).
    public func complete(
        uploadID: UUID,
        ownerID: UUID,
        sha256: String? = nil,
        now: Date = Date()
    ) async throws -> Completion {
        let started = ContinuousClock.now
        let owned = try await self.owned(uploadID, by: ownerID)
        let given = try sha256.map { try Self.normalizedDigest($0, field: "sha256") }
        if let given, let declared = owned.sha256, given != declared {
            throw IngestError.invalidArgument(
                "'sha256' differs from the digest declared when the upload was created (\(declared))"
            )
        }
        // Earlier attempts' multipart uploads that an outage kept from being aborted, and those of
        // prefix assemblies of other (or dead) processes; this process's own is taken over below.
        let prefixes = self.prefixes
        await self.retryPendingAborts(for: uploadID, keeping: { prefixes.liveKey(uploadID) })
        let claim = try await self.claimAssembly(uploadID, now: now)
        switch claim {
        case .alreadyCompleted(let trackID):
            guard let track = try await self.tracks.find(id: trackID) else { throw IngestError.notFound }
            if let given, given != track.sha256 {
                throw IngestError.invalidArgument(
                    "'sha256' differs from the digest of the track this upload became (\(track.sha256))"
                )
            }
            return Completion(track: track, created: false)
        case .assemble(let session, let chunks):
            // No chunk changes from now on: what the prefix assembly stored is checked and used.
            let handover = await self.prefixes.take(uploadID)
            do {
                var session = session
                session.sha256 = session.sha256 ?? given
                let track = try await self.assemble(session, chunks: chunks, handover: handover, started: started)
                return Completion(track: track, created: true)
            } catch {
                let reverted = try? await self.sessions.transition(
                    uploadID,
                    from: .assembling,
                    to: .receiving,
                    now: Date(),
                    set: "storage_key = NULL, multipart_upload_id = NULL"
                )
                if reverted == nil {
                    self.logger.error(
                        "upload not reverted after failed assembly",
                        metadata: ["upload.id": "\(uploadID.uuidString.lowercased())"]
                    )
                }
                self.logger.warning(
                    "upload assembly failed",
                    metadata: ["upload.id": "\(uploadID.uuidString.lowercased())", "error.message": "\(error)"]
                )
                throw Self.clientError(error)
            }
        }
    }

    /// Under the upload's lock: checks every chunk is in and moves the session to `assembling`
    /// with a guarded update, so exactly one caller assembles.
    private func claimAssembly(_ uploadID: UUID, now: Date) async throws -> Claim {
        let sessions = self.sessions
        let staleBefore = now.addingTimeInterval(-self.configuration.staleAssemblyAfter)
        let claim = try await self.database.transaction { db -> (Claim, UploadSession?) in
            guard var session = try await sessions.find(id: uploadID, lock: true, on: db) else {
                throw IngestError.notFound
            }
            var revived: UploadSession? = nil
            switch session.status {
            case .completed:
                guard let trackID = session.trackID else {
                    throw IngestError.invalidState(.completed, action: "complete")
                }
                return (.alreadyCompleted(trackID), nil)
            case .assembling where session.updatedAt < staleBefore:
                // The process assembling it died: take over (its leftovers are freed below).
                guard
                    let reset = try await sessions.transition(
                        uploadID,
                        from: .assembling,
                        to: .receiving,
                        now: now,
                        on: db
                    )
                else { throw IngestError.assemblyRunning }
                revived = session
                session = reset
            case .assembling:
                throw IngestError.assemblyRunning
            case .aborted, .expired:
                throw IngestError.gone(session.status)
            case .receiving:
                if session.expiresAt <= now { throw IngestError.gone(.expired) }
            }
            let chunks = try await sessions.chunks(uploadID: uploadID, on: db)
            let have = Set(chunks.map(\.index))
            let missing = (0..<session.totalChunks).filter { !have.contains($0) }
            guard missing.isEmpty else { throw IngestError.missingChunks(missing) }
            var machine = UploadSession.StateMachine(status: session.status)
            guard case .transition(let from, let to) = machine.apply(.startAssembly),
                let claimed = try await sessions.transition(
                    uploadID,
                    from: from,
                    to: to,
                    now: now,
                    set: "storage_key = NULL, multipart_upload_id = NULL",
                    on: db
                )
            else { throw IngestError.assemblyRunning }
            return (.assemble(claimed, chunks), revived)
        }
        if let stale = claim.1 { await self.freeAssemblyLeftovers(stale) }
        return claim.0
    }

    /// Sniffs, streams into the store, then writes the track, its job and the session's new
    /// status in one transaction.
    private func assemble(
        _ session: UploadSession,
        chunks: [UploadChunk],
        handover: PrefixHandover?,
        started: ContinuousClock.Instant
    ) async throws -> Track {
        let uploadID = session.id
        var handover = handover
        do {
            return try await self.assemble(session, chunks: chunks, handover: &handover, started: started)
        } catch {
            if let handover { await self.discard(handover, uploadID: uploadID) }
            throw error
        }
    }

    /// `assemble`, taking `handover` (set to nil) once it is used or discarded.
    private func assemble(
        _ session: UploadSession,
        chunks: [UploadChunk],
        handover: inout PrefixHandover?,
        started: ContinuousClock.Instant
    ) async throws -> Track {
        let uploadID = session.id
        // A chunk row without its file (e.g. a spool wiped by hand) must be sent again.
        let absent = chunks.filter { self.spool.size(uploadID: uploadID, index: $0.index) != $0.size }.map(\.index)
        if !absent.isEmpty {
            for index in absent {
                try await self.database.sql.raw(
                    "DELETE FROM upload_chunks WHERE upload_id = \(bind: uploadID) AND chunk_index = \(bind: index)"
                ).run()
            }
            throw IngestError.missingChunks(absent)
        }
        guard let format = try self.sniffSpooled(session) else {
            let head = try self.spool.prefix(uploadID: uploadID, index: 0, length: 8)
            let shown = head.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw IngestError.unsupportedMediaType("first bytes: \(shown)")
        }
        var resume: PrefixHandover? = nil
        if let taken = handover {
            handover = nil
            let target = self.assemblyTarget(session, format: format, trackID: taken.trackID)
            if target.key == taken.key, target.contentType == taken.contentType, self.isCurrent(taken, session) {
                resume = taken
            } else {
                await self.discard(taken, uploadID: uploadID)
            }
        }
        let trackID = resume?.trackID ?? UUID()
        let (key, contentType) = self.assemblyTarget(session, format: format, trackID: trackID)
        try await self.sessions.recordAssemblyTarget(uploadID, key: key, multipartUploadID: nil, now: Date())
        let sessions = self.sessions
        let stored: Assembler.Result
        do {
            stored = try await self.assembler.assemble(
                reader: self.spoolReader(session, after: resume),
                expectedSize: session.declaredSize,
                expectedSHA256: session.sha256,
                uploadID: uploadID,
                key: key,
                contentType: contentType,
                resume: resume?.sink,
                onMultipartCreated: { upload in
                    try await sessions.recordAssemblyTarget(
                        uploadID,
                        key: key,
                        multipartUploadID: upload.uploadID,
                        now: Date()
                    )
                }
            )
        } catch {
            // A single put never leaves an object on failure, but a response lost after the store
            // committed could: the key is this attempt's own, so deleting is safe.
            try? await self.store.delete(key: key)
            throw error
        }
        let now = Date()
        let track = Track(
            id: trackID,
            ownerID: session.ownerID,
            title: session.title,
            visibility: session.visibility,
            status: .processing,
            storageBackend: self.configuration.backend,
            storageKey: key,
            sizeBytes: stored.size,
            sha256: stored.sha256,
            contentType: contentType,
            createdAt: now,
            updatedAt: now
        )
        let tracks = self.tracks
        let jobs = self.jobs
        do {
            try await self.database.transaction { db in
                try await tracks.insert(track, on: db)
                try await jobs.enqueue(
                    queue: TranscodeJobPayload.queue,
                    payload: TranscodeJobPayload(trackID: trackID),
                    on: db
                )
                var machine = UploadSession.StateMachine(status: .assembling)
                guard case .transition(let from, let to) = machine.apply(.assemblySucceeded),
                    try await sessions.transition(
                        uploadID,
                        from: from,
                        to: to,
                        now: now,
                        set: "track_id = \(bind: trackID), multipart_upload_id = NULL",
                        on: db
                    ) != nil
                else { throw IngestError.invalidState(.receiving, action: "complete") }
                try await sessions.deleteChunks(uploadID: uploadID, on: db)
            }
        } catch {
            // The object has no track: remove it, the session goes back to receiving.
            try? await self.store.delete(key: key)
            throw error
        }
        self.spool.removeAll(uploadID: uploadID)
        self.logger.info(
            "upload completed",
            metadata: [
                "upload.id": "\(uploadID.uuidString.lowercased())", "track.id": "\(trackID.uuidString.lowercased())",
                "track.size": "\(stored.size)",
                "upload.prefix_bytes": "\(resume?.fed ?? 0)",
                "upload.complete_seconds": "\((ContinuousClock.now - started) / .seconds(1))",
            ]
        )
        return track
    }

    /// The chunk files from the first byte `handover` did not send.
    private func spoolReader(_ session: UploadSession, after handover: PrefixHandover?) -> SpoolReader {
        guard let handover else {
            return SpoolReader(paths: (0..<session.totalChunks).map { self.spool.path(for: session.id, index: $0) })
        }
        let first = Int(handover.fed / session.chunkSize)
        return SpoolReader(
            paths: (first..<max(first, session.totalChunks)).map { self.spool.path(for: session.id, index: $0) },
            skip: handover.fed - Int64(first) * session.chunkSize,
            hasher: handover.hasher,
            count: handover.fed
        )
    }

    /// Store failures a client can wait out become ``IngestError/storeUnavailable``.
    static func clientError(_ error: any Error) -> any Error {
        if let storage = error as? StorageError,
            storage == .unavailable || storage == .connection || storage == .timeout || storage == .throttled
        {
            return IngestError.storeUnavailable(storage.message)
        }
        return error
    }
}
