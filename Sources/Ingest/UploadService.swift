import Catalog
import Database
import Foundation
import Logging
import NIOCore
import Storage

/// Resumable uploads: sessions, chunks, assembly into the store, and the track they become.
///
/// Front ends (the chunk API, tus) call this; it knows nothing about HTTP. Every status change
/// goes through ``UploadSession/StateMachine`` and a guarded update inside a transaction that
/// holds the upload's lock, so two requests for one upload never interleave, across processes too.
public struct UploadService: Sendable {
    let configuration: IngestConfiguration
    let database: DatabaseClient
    let sessions: UploadSessionRepository
    let writers: UploadWriterRepository
    let pendingAborts: PendingAbortRepository
    let leases: AssemblerLeaseRepository
    /// This process's prefix assemblies (see ``prefixAssemblyService``).
    let prefixes: PrefixAssemblies
    let tracks: TrackRepository
    let jobs: JobQueue
    let store: any ObjectStore
    let spool: ChunkSpool
    let logger: Logger

    /// - Parameters:
    ///   - configuration: Limits, chunk size, spool directory.
    ///   - database: Sessions, chunks, tracks and jobs live here.
    ///   - jobs: Where the `transcode` job of a completed upload goes.
    ///   - store: Where sources are assembled.
    ///   - logger: For upload events.
    public init(
        configuration: IngestConfiguration,
        database: DatabaseClient,
        jobs: JobQueue,
        store: any ObjectStore,
        logger: Logger
    ) {
        precondition(configuration.chunkSize > 0 && configuration.partSize >= 5 * 1024 * 1024)
        self.configuration = configuration
        self.database = database
        self.sessions = UploadSessionRepository(database: database)
        self.writers = UploadWriterRepository(database: database)
        self.pendingAborts = PendingAbortRepository(database: database)
        self.leases = AssemblerLeaseRepository(database: database)
        self.prefixes = PrefixAssemblies()
        self.tracks = TrackRepository(database: database)
        self.jobs = jobs
        self.store = store
        self.spool = ChunkSpool(directory: configuration.spoolDirectory)
        self.logger = logger
    }

    /// `MAX_UPLOAD_AUDIO_MB` in bytes.
    public var maxUploadBytes: Int64 { self.configuration.maxUploadBytes }
    /// Bytes per chunk of every new session.
    public var chunkSize: Int64 { self.configuration.chunkSize }

    /// What a client declares when it starts an upload.
    public struct NewUpload: Sendable {
        public var filename: String
        public var size: Int64
        public var sha256: String?
        public var contentType: String?
        public var title: String?
        public var visibility: String?

        public init(
            filename: String,
            size: Int64,
            sha256: String? = nil,
            contentType: String? = nil,
            title: String? = nil,
            visibility: String? = nil
        ) {
            self.filename = filename
            self.size = size
            self.sha256 = sha256
            self.contentType = contentType
            self.title = title
            self.visibility = visibility
        }
    }

    /// Starts an upload.
    ///
    /// - Throws: ``IngestError/tooLarge`` above `MAX_UPLOAD_AUDIO_MB`, ``IngestError/invalidArgument``
    ///   for a bad field, ``IngestError/tooManySessions`` over the per-user cap.
    public func create(ownerID: UUID, _ request: NewUpload, now: Date = Date()) async throws -> UploadSession {
        let filename = request.filename.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !filename.isEmpty, filename.count <= 255, !filename.contains("\0") else {
            throw IngestError.invalidArgument("'filename' must be 1 to 255 characters")
        }
        guard request.size > 0 else { throw IngestError.invalidArgument("'size' must be a positive number of bytes") }
        guard request.size <= self.configuration.maxUploadBytes else {
            throw IngestError.tooLarge(size: request.size, limit: self.configuration.maxUploadBytes)
        }
        var digest: String? = nil
        if let sha256 = request.sha256 {
            digest = try Self.normalizedDigest(sha256, field: "sha256")
        }
        var visibility = TrackVisibility.private
        if let value = request.visibility {
            guard let parsed = TrackVisibility(rawValue: value) else {
                throw IngestError.invalidArgument("'visibility' must be public, unlisted or private")
            }
            visibility = parsed
        }
        let title =
            (request.title?.trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { $0.isEmpty ? nil : $0 }
            ?? (filename as NSString).deletingPathExtension
        guard title.count <= 300 else { throw IngestError.invalidArgument("'title' must be at most 300 characters") }
        if let contentType = request.contentType, contentType.count > 200 || contentType.isEmpty {
            throw IngestError.invalidArgument("'content_type' must be 1 to 200 characters")
        }
        let chunkSize = self.configuration.chunkSize
        let session = UploadSession(
            id: UUID(),
            ownerID: ownerID,
            filename: filename,
            declaredSize: request.size,
            sha256: digest,
            contentType: request.contentType,
            title: title.isEmpty ? filename : title,
            visibility: visibility,
            chunkSize: chunkSize,
            totalChunks: UploadSession.chunkCount(size: request.size, chunkSize: chunkSize),
            status: .receiving,
            trackID: nil,
            storageKey: nil,
            multipartUploadID: nil,
            expiresAt: now.addingTimeInterval(self.configuration.sessionTTL),
            createdAt: now,
            updatedAt: now
        )
        let limit = self.configuration.maxActiveSessionsPerUser
        let sessions = self.sessions
        let writers = self.writers
        try await self.database.transaction { db in
            // Under the owner's lock, so parallel creates cannot all pass the count.
            try await writers.lockOwner(ownerID, on: db)
            if try await sessions.activeCount(ownerID: ownerID, now: now, on: db) >= limit {
                throw IngestError.tooManySessions(limit: limit)
            }
            try await sessions.insert(session, on: db)
        }
        self.logger.info(
            "upload created",
            metadata: ["upload.id": "\(session.id.uuidString.lowercased())", "upload.size": "\(session.declaredSize)"]
        )
        return session
    }

    /// The session and its received and missing chunks.
    public func progress(uploadID: UUID, ownerID: UUID) async throws -> UploadProgress {
        let session = try await self.owned(uploadID, by: ownerID)
        if session.status == .completed {
            // The chunks were deleted once they became the track.
            return UploadProgress(
                session: session,
                received: Array(0..<session.totalChunks),
                missing: [],
                receivedBytes: session.declaredSize
            )
        }
        let chunks = try await self.sessions.chunks(uploadID: uploadID)
        let received = chunks.map(\.index)
        let have = Set(received)
        return UploadProgress(
            session: session,
            received: received,
            missing: (0..<session.totalChunks).filter { !have.contains($0) },
            receivedBytes: chunks.reduce(0) { $0 + $1.size }
        )
    }

    /// Aborts an upload: its chunks, its record of chunks and any multipart upload are freed.
    ///
    /// Aborting an aborted or expired upload succeeds.
    /// - Throws: ``IngestError/invalidState`` while assembling or once completed.
    public func abort(uploadID: UUID, ownerID: UUID, now: Date = Date()) async throws {
        _ = try await self.owned(uploadID, by: ownerID)
        let sessions = self.sessions
        let aborted = try await self.database.transaction { db -> UploadSession? in
            guard let session = try await sessions.find(id: uploadID, lock: true, on: db) else {
                throw IngestError.notFound
            }
            if session.status == .aborted || session.status == .expired { return nil }
            var machine = UploadSession.StateMachine(status: session.status)
            guard case .transition(let from, let to) = machine.apply(.abort) else {
                throw IngestError.invalidState(session.status, action: "abort")
            }
            try await sessions.deleteChunks(uploadID: uploadID, on: db)
            return try await sessions.transition(uploadID, from: from, to: to, now: now, on: db)
        }
        self.spool.removeAll(uploadID: uploadID)
        if let aborted {
            await self.freeAssemblyLeftovers(aborted)
            self.logger.info("upload aborted", metadata: ["upload.id": "\(uploadID.uuidString.lowercased())"])
        }
    }

    /// Deletes what a dead assembly may have left in the store: a multipart upload, or an object
    /// that no track refers to.
    func freeAssemblyLeftovers(_ session: UploadSession) async {
        await self.retryPendingAborts(for: session.id)
        guard let key = session.storageKey else { return }
        if let id = session.multipartUploadID {
            await self.assembler.abandon(MultipartUpload(key: key, uploadID: id))
        }
        if session.status != .completed { try? await self.store.delete(key: key) }
    }

    /// The session, if it exists and belongs to `ownerID`; others get "not found" so that upload
    /// ids cannot be probed.
    func owned(_ uploadID: UUID, by ownerID: UUID) async throws -> UploadSession {
        guard let session = try await self.sessions.find(id: uploadID), session.ownerID == ownerID else {
            throw IngestError.notFound
        }
        return session
    }

    var assembler: Assembler {
        Assembler(
            store: self.store,
            multipart: self.configuration.backend == .s3,
            partSize: self.configuration.partSize,
            partConcurrency: self.configuration.partConcurrency,
            pipeCapacity: self.configuration.pipeCapacity,
            pendingAborts: self.pendingAborts,
            staleAfter: self.configuration.staleAssemblyAfter,
            logger: self.logger
        )
    }

    /// Lowercase hex of a 64-digit SHA-256.
    static func normalizedDigest(_ value: String, field: String) throws -> String {
        let lowered = value.lowercased()
        guard lowered.count == 64, lowered.allSatisfy({ $0.isHexDigit }) else {
            throw IngestError.invalidArgument("'\(field)' must be 64 hexadecimal digits (SHA-256)")
        }
        return lowered
    }
}
