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

    /// Appends bytes at `offset` (a tus `PATCH`): they are checked against `checksum`, then cut
    /// into the session's chunks, so the chunk API and tus share one session and one assembly.
    ///
    /// - Returns: The new offset.
    /// - Throws: ``IngestError/offsetMismatch`` when `offset` is not where the upload is,
    ///   ``IngestError/segmentChecksumMismatch`` (the bytes are discarded), ``IngestError/chunkTooLarge``
    ///   when the body goes past the declared size.
    public func append<Body: AsyncSequence>(
        uploadID: UUID,
        ownerID: UUID,
        offset: Int64,
        body: Body,
        checksum: SegmentChecksum?,
        now: Date = Date()
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        let (session, current) = try await self.offset(uploadID: uploadID, ownerID: ownerID)
        try Self.checkAcceptsChunks(session, now: now)
        guard offset == current else { throw IngestError.offsetMismatch(expected: current, actual: offset) }
        let segment = try await self.spool.receiveSegment(
            body,
            uploadID: uploadID,
            maxLength: session.declaredSize - offset,
            checksum: checksum
        )
        defer { unlink(segment.temporaryPath) }
        guard segment.size > 0 else { return offset }
        let sessions = self.sessions
        let spool = self.spool
        let service = self
        try await self.database.transaction { db in
            // Under the upload's lock, so two PATCHes at the same offset cannot both append.
            guard let locked = try await sessions.find(id: uploadID, lock: true, on: db) else {
                throw IngestError.notFound
            }
            try Self.checkAcceptsChunks(locked, now: now)
            let chunks = try await sessions.chunks(uploadID: uploadID, on: db)
            let start = service.contiguousOffset(locked, chunks: chunks)
            guard start == offset else { throw IngestError.offsetMismatch(expected: start, actual: offset) }
            guard let source = FileHandle(forReadingAtPath: segment.temporaryPath) else {
                throw SpoolIOError(operation: "open", path: segment.temporaryPath, errno: errno)
            }
            defer { try? source.close() }
            var position = offset
            let end = offset + segment.size
            while position < end {
                let index = Int(position / locked.chunkSize)
                let chunkEnd = Int64(index) * locked.chunkSize + locked.expectedLength(ofChunk: index)
                let length = min(end, chunkEnd) - position
                try spool.appendToPartial(from: source, length: length, uploadID: uploadID, index: index)
                position += length
                if position == chunkEnd {
                    let digest = try spool.promotePartial(uploadID: uploadID, index: index)
                    try await sessions.upsert(
                        UploadChunk(
                            uploadID: uploadID,
                            index: index,
                            size: locked.expectedLength(ofChunk: index),
                            sha256: digest,
                            receivedAt: now
                        ),
                        on: db
                    )
                }
            }
        }
        return offset + segment.size
    }
}
