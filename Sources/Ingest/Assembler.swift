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
    let logger: Logger

    /// What was stored.
    struct Result: Sendable, Equatable {
        let size: Int64
        let sha256: String
    }

    /// Stores the concatenation of `paths` at `key`.
    ///
    /// - Parameters:
    ///   - paths: The chunk files, in order.
    ///   - expectedSize: The declared size; the chunk files must add up to it.
    ///   - expectedSHA256: The declared digest, if any.
    ///   - uploadID: The session, for the pending-abort record of a multipart upload.
    ///   - onMultipartCreated: Told the multipart upload before any part is sent (recorded so that
    ///     an abort or the garbage collector can free it if this process dies).
    /// - Throws: ``IngestError/sizeMismatch`` or ``IngestError/checksumMismatch`` (nothing stored,
    ///   any multipart upload aborted), or the store's error.
    func assemble(
        paths: [String],
        expectedSize: Int64,
        expectedSHA256: String?,
        uploadID: UUID,
        key: String,
        contentType: String,
        onMultipartCreated: @Sendable (MultipartUpload) async throws -> Void
    ) async throws -> Result {
        let options = PutOptions(contentType: contentType)
        if self.multipart && expectedSize > self.partSize {
            return try await self.assembleMultipart(
                paths: paths,
                expectedSize: expectedSize,
                expectedSHA256: expectedSHA256,
                uploadID: uploadID,
                key: key,
                options: options,
                onMultipartCreated: onMultipartCreated
            )
        }
        return try await self.assembleSingle(
            paths: paths,
            expectedSize: expectedSize,
            expectedSHA256: expectedSHA256,
            key: key,
            options: options
        )
    }

    /// One streamed `put`: the verdict on size and digest is the end of the stream, so a mismatch
    /// fails the stream and the store never moves the object into place.
    private func assembleSingle(
        paths: [String],
        expectedSize: Int64,
        expectedSHA256: String?,
        key: String,
        options: PutOptions
    ) async throws -> Result {
        let pipe = BoundedPipe(capacity: self.pipeCapacity)
        let store = self.store
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask {
                do {
                    _ = try await store.put(
                        key: key,
                        body: .stream(pipe.reader, length: expectedSize),
                        options: options
                    )
                } catch {
                    await pipe.cancel(error)
                    throw error
                }
            }
            var reader = SpoolReader(paths: paths)
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
                try? await group.waitForAll()
                throw error
            }
            await pipe.finish()
            try await group.waitForAll()
            return result
        }
    }

    /// A multipart upload; each part's body streams from its own bounded pipe, fed in order.
    ///
    /// The upload is recorded as pending before it is created (a store that dies while answering
    /// `CreateMultipartUpload` may have created it) and stays recorded until it is completed or an
    /// abort succeeded; a failed abort leaves the record for the next `complete` and the janitor.
    private func assembleMultipart(
        paths: [String],
        expectedSize: Int64,
        expectedSHA256: String?,
        uploadID: UUID,
        key: String,
        options: PutOptions,
        onMultipartCreated: @Sendable (MultipartUpload) async throws -> Void
    ) async throws -> Result {
        let store = self.store
        try await self.pendingAborts.record(uploadID: uploadID, key: key, now: Date())
        let upload = try await store.createMultipartUpload(key: key, options: options)
        do {
            try await self.pendingAborts.setMultipartUploadID(upload.uploadID, key: key)
            try await onMultipartCreated(upload)
            let (parts, result) = try await withThrowingTaskGroup(
                of: CompletedPart.self,
                returning: ([CompletedPart], Result).self
            ) { group in
                var reader = SpoolReader(paths: paths)
                var completed: [CompletedPart] = []
                var inFlight = 0
                var partNumber = 0
                var remaining = expectedSize
                while remaining > 0 {
                    if inFlight >= self.partConcurrency, let done = try await group.next() {
                        completed.append(done)
                        inFlight -= 1
                    }
                    let length = min(self.partSize, remaining)
                    partNumber += 1
                    let number = partNumber
                    let pipe = BoundedPipe(capacity: self.pipeCapacity)
                    group.addTask {
                        do {
                            let part = try await store.uploadPart(
                                upload,
                                partNumber: number,
                                body: .stream(pipe.reader, length: length)
                            )
                            return part
                        } catch {
                            // Wakes the feeder if it waits on a pipe nobody reads any more.
                            await pipe.cancel(error)
                            throw error
                        }
                    }
                    inFlight += 1
                    var written: Int64 = 0
                    do {
                        while written < length {
                            let wanted = Int(min(Int64(self.pipeCapacity), length - written))
                            guard let buffer = try await reader.next(maxBytes: wanted) else {
                                throw IngestError.sizeMismatch(expected: expectedSize, actual: reader.count)
                            }
                            written += Int64(buffer.readableBytes)
                            try await pipe.write(buffer)
                        }
                    } catch {
                        await pipe.cancel(error)
                        throw error
                    }
                    await pipe.finish()
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
            if await self.abandon(upload) {
                try? await self.pendingAborts.remove(key: key)
            } else {
                let record = PendingAbort(
                    objectKey: key,
                    uploadID: uploadID,
                    multipartUploadID: upload.uploadID,
                    attempts: 0,
                    nextAttemptAt: Date()
                )
                try? await self.pendingAborts.failed(record, now: Date())
            }
            throw error
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
