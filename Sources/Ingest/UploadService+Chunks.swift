import Foundation
import NIOCore

extension UploadService {
    /// Stores one chunk, streamed from `body` into the spool; any order, and a chunk sent again
    /// replaces the earlier copy.
    ///
    /// - Parameters:
    ///   - index: 0-based.
    ///   - body: The bytes; reading stops with an error as soon as they exceed the chunk's length.
    ///   - checksum: `X-Chunk-SHA256`, hex; a mismatch discards the chunk.
    /// - Throws: ``IngestError/chunkLengthMismatch``, ``IngestError/chunkTooLarge``,
    ///   ``IngestError/chunkChecksumMismatch``, ``IngestError/assemblyInProgress``, ``IngestError/gone``,
    ///   ``IngestError/uploadBusy`` (another request is writing this chunk; the body is not read),
    ///   ``IngestError/spoolQuotaExceeded`` (the body is not read).
    @discardableResult
    public func putChunk<Body: AsyncSequence>(
        uploadID: UUID,
        ownerID: UUID,
        index: Int,
        body: Body,
        checksum: String?,
        now: Date = Date()
    ) async throws -> UploadChunk where Body.Element == ByteBuffer {
        let session = try await self.owned(uploadID, by: ownerID)
        try Self.checkAcceptsChunks(session, now: now)
        guard index >= 0, index < session.totalChunks else {
            throw IngestError.invalidArgument(
                "chunk index \(index) is out of range: this upload has chunks 0 to \(session.totalChunks - 1)"
            )
        }
        let expectedDigest = try checksum.map { try Self.normalizedDigest($0, field: "X-Chunk-SHA256") }
        let expectedLength = session.expectedLength(ofChunk: index)
        // Ownership, state, the one-writer rule and the spool quota, all before a byte is read.
        let lease = try await self.acquireWriter(
            uploadID: uploadID,
            ownerID: ownerID,
            chunkIndex: index,
            reservedBytes: expectedLength,
            now: now
        ) { locked, _ in try Self.checkAcceptsChunks(locked, now: now) }
        let sessions = self.sessions
        let spool = self.spool
        let chunk = try await self.writing(body, under: lease) { body -> UploadChunk in
            let pending = try await spool.receive(
                body,
                uploadID: uploadID,
                index: index,
                expectedLength: expectedLength,
                expectedSHA256: expectedDigest
            )
            do {
                return try await self.database.transaction { db -> UploadChunk in
                    // Under the upload's lock: assembly reads the spool only after moving the session to
                    // `assembling` under the same lock, so it never sees a chunk file being replaced.
                    guard let current = try await sessions.find(id: uploadID, lock: true, on: db) else {
                        throw IngestError.notFound
                    }
                    try Self.checkAcceptsChunks(current, now: now)
                    try spool.commit(pending, uploadID: uploadID, index: index)
                    let chunk = UploadChunk(
                        uploadID: uploadID,
                        index: index,
                        size: pending.size,
                        sha256: pending.sha256,
                        receivedAt: now
                    )
                    try await sessions.upsert(chunk, on: db)
                    return chunk
                }
            } catch {
                spool.discard(pending)
                throw error
            }
        }
        if let wake = self.prefixes.landed(uploadID) {
            // The receipt of chunk k waits for the driver to have sent chunks 0 ..< k-1, so that
            // the prefix keeps up with the chunks and `complete` has little left to send.
            await self.prefixes.paced(
                uploadID,
                until: Int64(index - 1) * session.chunkSize,
                wake: wake,
                timeout: self.configuration.prefixPacingTimeout
            )
        }
        self.logger.debug(
            "upload chunk stored",
            metadata: ["upload.id": "\(uploadID.uuidString.lowercased())", "upload.chunk": "\(index)"]
        )
        return chunk
    }

    /// Whether the session takes chunks now, as an error when it does not.
    static func checkAcceptsChunks(_ session: UploadSession, now: Date) throws {
        var machine = UploadSession.StateMachine(status: session.status)
        switch machine.apply(.receiveChunk) {
        case .accept, .transition:
            if session.expiresAt <= now { throw IngestError.gone(.expired) }
        case .reject(let from):
            switch from {
            case .assembling: throw IngestError.assemblyRunning
            case .aborted, .expired: throw IngestError.gone(from)
            case .completed, .receiving: throw IngestError.invalidState(from, action: "add chunks to")
            }
        }
    }
}
