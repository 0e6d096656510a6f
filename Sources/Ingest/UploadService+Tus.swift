import Foundation
import NIOCore

extension UploadService {
    /// The bytes received contiguously from the start of the file (tus `Upload-Offset`): the whole
    /// chunks from 0 on, plus the partial chunk after them.
    public func offset(uploadID: UUID, ownerID: UUID) async throws -> (session: UploadSession, offset: Int64) {
        let session = try await self.owned(uploadID, by: ownerID)
        let chunks = try await self.sessions.chunks(uploadID: uploadID)
        return (session, self.contiguousOffset(session, chunks: chunks))
    }

    func contiguousOffset(_ session: UploadSession, chunks: [UploadChunk]) -> Int64 {
        let have = Set(chunks.map(\.index))
        var index = 0
        var offset: Int64 = 0
        while index < session.totalChunks && have.contains(index) {
            offset += session.expectedLength(ofChunk: index)
            index += 1
        }
        if index < session.totalChunks { offset += self.spool.partialSize(uploadID: session.id, index: index) }
        return offset
    }

    /// Appends bytes at `offset` (a tus `PATCH`), streamed straight into the session's chunk
    /// files and checked against `checksum`, so the chunk API and tus share one session and one
    /// assembly. The database transaction covers only the bookkeeping of the chunks completed.
    ///
    /// - Parameter declaredLength: The body's `Content-Length`, if sent: reserved against the
    ///   owner's spool quota (else the rest of the upload is).
    /// - Returns: The new offset.
    /// - Throws: ``IngestError/offsetMismatch`` when `offset` is not where the upload is,
    ///   ``IngestError/uploadBusy`` while another `PATCH` writes it (after ``IngestConfiguration/tusWriterPatience``), ``IngestError/spoolQuotaExceeded``
    ///   (all three before the body is read), ``IngestError/segmentChecksumMismatch`` (the bytes are
    ///   discarded), ``IngestError/chunkTooLarge`` when the body goes past the declared size.
    public func append<Body: AsyncSequence>(
        uploadID: UUID,
        ownerID: UUID,
        offset: Int64,
        declaredLength: Int64? = nil,
        body: Body,
        checksum: SegmentChecksum?,
        now: Date = Date()
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        let session = try await self.owned(uploadID, by: ownerID)
        try Self.checkAcceptsChunks(session, now: now)
        let remaining = max(0, session.declaredSize - offset)
        let sessions = self.sessions
        let service = self
        let lease = try await self.acquireWriter(
            uploadID: uploadID,
            ownerID: ownerID,
            chunkIndex: nil,
            reservedBytes: min(max(0, declaredLength ?? remaining), remaining),
            now: now,
            patience: self.configuration.tusWriterPatience
        ) { locked, db in
            try Self.checkAcceptsChunks(locked, now: now)
            let start = service.contiguousOffset(locked, chunks: try await sessions.chunks(uploadID: uploadID, on: db))
            guard start == offset else { throw IngestError.offsetMismatch(expected: start, actual: offset) }
        }
        let spool = self.spool
        return try await self.writing(body, under: lease) { body -> Int64 in
            let segment = try await spool.receiveSegment(body, session: session, offset: offset, checksum: checksum)
            do {
                var digests: [Int: String] = [:]
                for (index, path) in segment.full { digests[index] = try await spool.digest(ofStaged: path) }
                let completed = digests
                try await self.database.transaction { db in
                    guard let locked = try await sessions.find(id: uploadID, lock: true, on: db) else {
                        throw IngestError.notFound
                    }
                    try Self.checkAcceptsChunks(locked, now: now)
                    try spool.commitSegment(segment, uploadID: uploadID)
                    for (index, sha256) in completed {
                        try await sessions.upsert(
                            UploadChunk(
                                uploadID: uploadID,
                                index: index,
                                size: locked.expectedLength(ofChunk: index),
                                sha256: sha256,
                                receivedAt: now
                            ),
                            on: db
                        )
                    }
                }
            } catch {
                spool.discard(segment)
                throw error
            }
            if !segment.full.isEmpty { self.prefixes.landed(uploadID) }
            return offset + segment.size
        }
    }
}
