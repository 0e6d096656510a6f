import CXattr
import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FileSystemStore {
    /// Opens an object's file in one step on the thread pool (open, `fstat`, the two attribute
    /// reads): serving a range then costs this and one `pread`, where `head` and `get` cost an
    /// open, stat and close each and a thread-pool hop per system call.
    /// A `readAhead` range of up to ``OpenedObject/singleReadLimit`` bytes is read in that same step.
    public func open(
        key: String,
        readAhead: (@Sendable (ObjectInfo) -> ClosedRange<Int64>?)?
    ) async throws -> OpenedObject? {
        try ObjectKey.validate(key)
        let path = self.path(for: key)
        let opened = try await self.io { () throws -> (StoredFile, (ClosedRange<Int64>, ByteBuffer)?)? in
            do {
                guard let stored = try Self.openStoredFileBlocking(path) else { return nil }
                guard let range = readAhead?(Self.objectInfo(key: key, stored)),
                    range.lowerBound >= 0, range.upperBound < stored.size,
                    Int64(range.count) <= OpenedObject.singleReadLimit
                else { return (stored, nil) }
                let buffer = try Posix.read(stored.file, offset: range.lowerBound, count: Int(range.count))
                guard buffer.readableBytes == range.count else {
                    throw StorageError.io.with(message: "\(path) was truncated while being read.", key: key)
                }
                return (stored, (range, buffer))
            } catch let error as SystemCallError {
                throw error.storageError(key: key, notFound: .io)
            }
        }
        guard let (stored, prefetched) = opened else { return nil }
        let threadPool = self.threadPool
        let chunkSize = self.configuration.readChunkSize
        let file = stored.file
        var object = OpenedObject(
            info: Self.objectInfo(key: key, stored),
            read: { range in
                let count = Int(range.count)
                let buffer = try await threadPool.runIfActive { () throws -> ByteBuffer in
                    do {
                        return try Posix.read(file, offset: range.lowerBound, count: count)
                    } catch let error as SystemCallError {
                        throw error.storageError(key: key, notFound: .io)
                    }
                }
                guard buffer.readableBytes == count else {
                    throw StorageError.io.with(message: "\(file.path) was truncated while being read.", key: key)
                }
                return buffer
            },
            stream: { range in
                ObjectByteStream(
                    FileChunkSequence(
                        file: file,
                        range: range.lowerBound..<(range.upperBound + 1),
                        chunkSize: chunkSize,
                        threadPool: threadPool
                    )
                )
            }
        )
        object.prefetched = prefetched
        return object
    }

    /// Opens a regular file with its metadata, blocking; nil when there is none at `path`.
    static func openStoredFileBlocking(_ path: String, readsContentType: Bool = true) throws -> StoredFile? {
        let file: OpenFile
        do {
            file = try Posix.open(path, flags: O_RDONLY)
        } catch let error as SystemCallError where error.errno == ENOENT || error.errno == ENOTDIR {
            return nil
        }
        var info = stat()
        try Posix.check("fstat", path, fstat(file.fd, &info))
        guard (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let modified = Date(
            timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1_000_000_000
        )
        let etag =
            Self.attribute(file, Self.etagAttribute)
            ?? Self.fallbackETag(
                size: Int64(info.st_size),
                seconds: Int64(info.st_mtim.tv_sec),
                nanoseconds: Int64(info.st_mtim.tv_nsec),
                inode: UInt64(info.st_ino)
            )
        return StoredFile(
            file: file,
            size: Int64(info.st_size),
            lastModified: modified,
            etag: etag,
            contentType: readsContentType ? Self.attribute(file, Self.contentTypeAttribute) : nil
        )
    }

    /// An extended attribute of an open file as UTF-8, nil when it is absent or unreadable.
    static func attribute(_ file: OpenFile, _ name: String) -> String? {
        var bytes = [UInt8](repeating: 0, count: 1024)
        let count = bytes.withUnsafeMutableBytes { fgetxattr(file.fd, name, $0.baseAddress, $0.count) }
        guard count >= 0 else { return nil }
        return String(decoding: bytes[..<count], as: UTF8.self)
    }
}
