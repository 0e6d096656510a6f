import Foundation
import Storage

extension UploadService {
    /// Aborts the multipart uploads still recorded as pending: every one of `uploadID` (due or not:
    /// its owner is completing or aborting it now) or, with nil, every due one (the janitor).
    ///
    /// A record whose multipart id never arrived (the store died during `CreateMultipartUpload`)
    /// aborts whatever the store lists under its key. A record is removed only once the store no
    /// longer lists its upload; a failed abort stays recorded for the next try.
    ///
    /// - Parameter keeping: The key of a live prefix assembly the caller takes over: left alone.
    /// - Returns: How many records were settled.
    @discardableResult
    func retryPendingAborts(
        for uploadID: UUID? = nil,
        keeping: (@Sendable () -> String?)? = nil,
        now: Date = Date(),
        batch: Int = 100
    ) async -> Int {
        let records: [PendingAbort]
        do {
            if let uploadID {
                records = try await self.pendingAborts.forUpload(uploadID)
            } else {
                records = try await self.pendingAborts.due(now: now, limit: batch)
            }
        } catch {
            self.logger.warning("pending multipart aborts unreadable", metadata: ["error.message": "\(error)"])
            return 0
        }
        // Read after the records: a driver names its key before recording it.
        let kept = keeping?()
        var settled = 0
        for record in records where record.objectKey != kept {
            var gone = true
            if let id = record.multipartUploadID {
                gone = await self.assembler.abandon(MultipartUpload(key: record.objectKey, uploadID: id))
            } else {
                do {
                    let listed = try await self.store.listMultipartUploads(prefix: record.objectKey)
                    for info in listed where info.upload.key == record.objectKey {
                        gone = await self.assembler.abandon(info.upload) && gone
                    }
                } catch {
                    gone = false
                }
            }
            do {
                if gone {
                    try await self.pendingAborts.remove(key: record.objectKey)
                    settled += 1
                } else {
                    try await self.pendingAborts.failed(record, now: now)
                }
            } catch {
                self.logger.warning(
                    "pending multipart abort not updated",
                    metadata: ["upload.id": "\(record.uploadID.uuidString.lowercased())", "error.message": "\(error)"]
                )
            }
        }
        return settled
    }
}
