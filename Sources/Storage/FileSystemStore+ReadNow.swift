import Foundation
import NIOCore

extension FileSystemStore: ImmediateReads {
    /// The shortest body ``readNow(key:bodyRange:)`` leaves in the file: below it, copying the
    /// bytes costs less than a second descriptor and a `sendfile`.
    public static let fileRegionMinimum = 16 * 1024

    /// Open, `fstat` and the ETag attribute on the calling thread; then one `pread` for a short
    /// body, or, from ``fileRegionMinimum`` bytes, the file itself (its own descriptor) for the
    /// caller to write with `sendfile`, as nginx does. A few microseconds for a page-cached file.
    /// The content-type attribute is not read (the fast path knows each object's type):
    /// `info.contentType` is nil. Only for a caller that accepts blocking its
    /// thread for that long (the stream fast path); everything else uses the thread pool.
    public func readNow(key: String, bodyRange: (ObjectInfo) -> ClosedRange<Int64>?) throws -> ImmediateRead? {
        try ObjectKey.validate(key)
        let path = self.path(for: key)
        do {
            guard let stored = try Self.openStoredFileBlocking(path, readsContentType: false) else { return nil }
            let info = Self.objectInfo(key: key, stored)
            guard let range = bodyRange(info) else { return ImmediateRead(info: info, body: nil) }
            guard range.lowerBound >= 0, range.upperBound < stored.size else {
                throw StorageError.invalidRange.with(
                    message: "\(range) is outside the \(stored.size)-byte object.",
                    key: key
                )
            }
            guard Int64(range.count) <= OpenedObject.singleReadLimit else { throw ImmediateReadTooLarge() }
            if range.count >= Self.fileRegionMinimum {
                // A descriptor of its own: `stored.file` closes when it goes out of scope.
                let descriptor = dup(stored.file.fd)
                try Posix.check("dup", path, descriptor)
                return ImmediateRead(
                    info: info,
                    body: (range, .file(NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)))
                )
            }
            let bytes = try Posix.read(stored.file, offset: range.lowerBound, count: Int(range.count))
            guard bytes.readableBytes == range.count else {
                throw StorageError.io.with(message: "\(path) was truncated while being read.", key: key)
            }
            return ImmediateRead(info: info, body: (range, .bytes(bytes)))
        } catch let error as SystemCallError {
            throw error.storageError(key: key, notFound: .io)
        }
    }
}
