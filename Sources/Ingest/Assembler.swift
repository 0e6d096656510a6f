import Foundation
import Logging
import NIOCore
import Storage

/// Streams an upload's chunks, in order, into the store, verifying size and SHA-256 on the way.
///
/// Chunks are read from the spool and pass through a ``BoundedPipe`` (a few MiB at most) into
/// the store's upload: on S3 a multipart upload in ``IngestConfiguration/partSize`` parts, the
/// next part streaming while earlier ones finish; on the local store a single streamed `put`
/// (a temporary file renamed into place). No assembled copy is ever written to local disk on
/// the S3 path. Nothing becomes visible unless the size and the digest match.
struct Assembler: Sendable {
    let store: any ObjectStore
    let multipart: Bool
    let partSize: Int64
    let partConcurrency: Int
    let pipeCapacity: Int
    /// Where every multipart upload is recorded from before its creation until it is settled.
    let pendingAborts: PendingAbortRepository
    /// How long a live assembly's pending-abort record is left alone (``IngestConfiguration/staleAssemblyAfter``).
    let staleAfter: TimeInterval
    let logger: Logger

    /// What was stored.
    struct Result: Sendable, Equatable {
        let size: Int64
        let sha256: String
    }

    /// Stores what `reader` reads at `key`.
    ///
    /// - Parameters:
    ///   - reader: The chunk files, in order (after `resume`'s bytes when it is given).
    ///   - expectedSize: The declared size; the chunk files must add up to it.
    ///   - expectedSHA256: The declared digest, if any.
    ///   - uploadID: The session, for the pending-abort record of a multipart upload.
    ///   - resume: The store's upload a ``PrefixAssemblies`` driver started at `key` and fed the
    ///     bytes before `reader`'s; nil to start one.
    ///   - onMultipartCreated: Told the multipart upload before any part is sent (recorded so that
    ///     an abort or the garbage collector can free it if this process dies).
    /// - Throws: ``IngestError/sizeMismatch`` or ``IngestError/checksumMismatch`` (nothing stored,
    ///   any multipart upload aborted), or the store's error.
    func assemble(
        reader: SpoolReader,
        expectedSize: Int64,
        expectedSHA256: String?,
        uploadID: UUID,
        key: String,
        contentType: String,
        resume: PrefixHandover.Sink? = nil,
        onMultipartCreated: @Sendable (MultipartUpload) async throws -> Void
    ) async throws -> Result {
        let options = PutOptions(contentType: contentType)
        let resumedMultipart = resume?.multipart
        if resumedMultipart != nil || (resume == nil && self.usesMultipart(size: expectedSize)) {
            return try await self.assembleMultipart(
                reader: reader,
                expectedSize: expectedSize,
                expectedSHA256: expectedSHA256,
                uploadID: uploadID,
                key: key,
                options: options,
                resume: resumedMultipart,
                onMultipartCreated: onMultipartCreated
            )
        }
        let (pipe, put) = resume?.stream ?? self.startStream(key: key, size: expectedSize, options: options)
        return try await self.finishStream(
            reader: reader,
            expectedSize: expectedSize,
            expectedSHA256: expectedSHA256,
            pipe: pipe,
            put: put
        )
    }

    /// Whether an upload of `size` bytes goes to the store as a multipart upload (else as one streamed put).
    func usesMultipart(size: Int64) -> Bool {
        self.multipart && size > self.partSize
    }

    /// Starts one streamed `put` of `size` bytes at `key`, fed through the returned pipe; the
    /// verdict on size and digest is the end of the stream, so a mismatch fails the stream and the
    /// store never moves the object into place.
    func startStream(key: String, size: Int64, options: PutOptions) -> (BoundedPipe, Task<Void, any Error>) {
        let pipe = BoundedPipe(capacity: self.pipeCapacity)
        let store = self.store
        let put = Task<Void, any Error> {
            do {
                _ = try await store.put(key: key, body: .stream(pipe.reader, length: size), options: options)
            } catch {
                await pipe.cancel(error)
                throw error
            }
        }
        return (pipe, put)
    }

    /// Writes `length` bytes of `reader` into `pipe`.
    func feed(
        _ length: Int64,
        from reader: inout SpoolReader,
        into pipe: BoundedPipe,
        expectedSize: Int64
    )
        async throws
    {
        var written: Int64 = 0
        while written < length {
            let wanted = Int(min(Int64(self.pipeCapacity), length - written))
            guard let buffer = try await reader.next(maxBytes: wanted) else {
                throw IngestError.sizeMismatch(expected: expectedSize, actual: reader.count)
            }
            written += Int64(buffer.readableBytes)
            try await pipe.write(buffer)
        }
    }

    /// Feeds the rest of `reader` into a streamed put, then checks size and digest before ending it.
    private func finishStream(
        reader: SpoolReader,
        expectedSize: Int64,
        expectedSHA256: String?,
        pipe: BoundedPipe,
        put: Task<Void, any Error>
    ) async throws -> Result {
        var reader = reader
        let result: Result
        do {
            while let buffer = try await reader.next(maxBytes: self.pipeCapacity) {
                guard reader.count <= expectedSize else {
                    throw IngestError.sizeMismatch(expected: expectedSize, actual: reader.count)
                }
                try await pipe.write(buffer)
            }
            result = Result(size: reader.count, sha256: reader.finalize())
            try Self.verify(result, expectedSize: expectedSize, expectedSHA256: expectedSHA256)
        } catch {
            await pipe.finish(throwing: error)
            try? await put.value
            throw error
        }
        await pipe.finish()
        try await put.value
        return result
    }

    /// Starts part `number` of `upload` in `group`, its body streaming `length` bytes of `reader`
    /// through a bounded pipe; returns once they are all in the pipe.
    func sendPart(
        _ number: Int,
        of upload: MultipartUpload,
        length: Int64,
        from reader: inout SpoolReader,
        expectedSize: Int64,
        in group: inout ThrowingTaskGroup<CompletedPart, any Error>
    ) async throws {
        let store = self.store
        let pipe = BoundedPipe(capacity: self.pipeCapacity)
        group.addTask {
            do {
                return try await store.uploadPart(
                    upload,
                    partNumber: number,
                    body: .stream(pipe.reader, length: length)
                )
            } catch {
                // Wakes the feeder if it waits on a pipe nobody reads any more.
                await pipe.cancel(error)
                throw error
            }
        }
        do {
            try await self.feed(length, from: &reader, into: pipe, expectedSize: expectedSize)
        } catch {
            await pipe.cancel(error)
            throw error
        }
        await pipe.finish()
    }

    /// A multipart upload; each part's body streams from its own bounded pipe, fed in order.
    ///
    /// The upload is recorded as pending before it is created (a store that dies while answering
    /// `CreateMultipartUpload` may have created it) and stays recorded until it is completed or an
    /// abort succeeded; a failed abort leaves the record for the next `complete` and the janitor.
    /// With `resume`, the upload exists (recorded by its driver) and holds `parts`.
    private func assembleMultipart(
        reader: SpoolReader,
        expectedSize: Int64,
        expectedSHA256: String?,
        uploadID: UUID,
        key: String,
        options: PutOptions,
        resume: (upload: MultipartUpload, parts: [CompletedPart])?,
        onMultipartCreated: @Sendable (MultipartUpload) async throws -> Void
    ) async throws -> Result {
        let store = self.store
        let upload: MultipartUpload
        if let resume {
            upload = resume.upload
            // Not due before a live assembly would be presumed dead.
            try await self.pendingAborts.postpone(key: key, until: Date().addingTimeInterval(self.staleAfter))
        } else {
            try await self.pendingAborts.record(
                uploadID: uploadID,
                key: key,
                now: Date(),
                nextAttemptAt: Date().addingTimeInterval(self.staleAfter)
            )
            upload = try await store.createMultipartUpload(key: key, options: options)
        }
        do {
            if resume == nil { try await self.pendingAborts.setMultipartUploadID(upload.uploadID, key: key) }
            try await onMultipartCreated(upload)
            let (parts, result) = try await withThrowingTaskGroup(
                of: CompletedPart.self,
                returning: ([CompletedPart], Result).self
            ) { group in
                var reader = reader
                var completed = resume?.parts ?? []
                var inFlight = 0
                var partNumber = completed.count
                var remaining = expectedSize - reader.count
                while remaining > 0 {
                    if inFlight >= self.partConcurrency, let done = try await group.next() {
                        completed.append(done)
                        inFlight -= 1
                    }
                    let length = min(self.partSize, remaining)
                    partNumber += 1
                    try await self.sendPart(
                        partNumber,
                        of: upload,
                        length: length,
                        from: &reader,
                        expectedSize: expectedSize,
                        in: &group
                    )
                    inFlight += 1
                    remaining -= length
                }
                // Bytes beyond the declared size mean the spool changed under us.
                if let extra = try await reader.next(maxBytes: 1) {
                    throw IngestError.sizeMismatch(
                        expected: expectedSize,
                        actual: reader.count + Int64(extra.readableBytes) - 1
                    )
                }
                for try await done in group { completed.append(done) }
                let result = Result(size: reader.count, sha256: reader.finalize())
                return (completed.sorted { $0.partNumber < $1.partNumber }, result)
            }
            try Self.verify(result, expectedSize: expectedSize, expectedSHA256: expectedSHA256)
            _ = try await store.completeMultipartUpload(upload, parts: parts)
            // Left recorded if this fails: aborting a completed upload finds nothing, which settles it.
            try? await self.pendingAborts.remove(key: key)
            return result
        } catch {
            await self.abandonRecorded(upload, uploadID: uploadID)
            throw error
        }
    }

    /// Aborts a recorded multipart upload: its record goes once the store no longer has it, and
    /// stays (counted, on its backoff) when the abort failed.
    func abandonRecorded(_ upload: MultipartUpload, uploadID: UUID) async {
        if await self.abandon(upload) {
            try? await self.pendingAborts.remove(key: upload.key)
        } else {
            let record = PendingAbort(
                objectKey: upload.key,
                uploadID: uploadID,
                multipartUploadID: upload.uploadID,
                attempts: 0,
                nextAttemptAt: Date()
            )
            try? await self.pendingAborts.failed(record, now: Date())
        }
    }

    /// Aborts a multipart upload and checks with ListParts that the store kept nothing.
    ///
    /// - Returns: True when the store no longer has the upload (aborted, or never there).
    @discardableResult
    func abandon(_ upload: MultipartUpload) async -> Bool {
        do {
            try await self.store.abortMultipartUpload(upload)
            _ = try await self.store.listParts(upload)
            self.logger.error(
                "multipart upload still listed after abort",
                metadata: ["upload.key": "\(upload.key)", "upload.multipart_id": "\(upload.uploadID)"]
            )
            return false
        } catch let error as StorageError where error == .noSuchUpload {
            return true
        } catch {
            self.logger.warning(
                "multipart upload abort failed",
                metadata: ["upload.key": "\(upload.key)", "error.message": "\(error)"]
            )
            return false
        }
    }

    private static func verify(_ result: Result, expectedSize: Int64, expectedSHA256: String?) throws {
        guard result.size == expectedSize else {
            throw IngestError.sizeMismatch(expected: expectedSize, actual: result.size)
        }
        if let expectedSHA256, expectedSHA256 != result.sha256 {
            throw IngestError.checksumMismatch(expected: expectedSHA256, actual: result.sha256)
        }
    }
}
