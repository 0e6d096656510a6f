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
    public func open(key: String) async throws -> OpenedObject? {
        try ObjectKey.validate(key)
        let path = self.path(for: key)
        let stored = try await self.io { () throws -> StoredFile? in
            do {
                return try Self.openStoredFileBlocking(path)
            } catch let error as SystemCallError {
                throw error.storageError(key: key, notFound: .io)
            }
        }
        guard let stored else { return nil }
        let threadPool = self.threadPool
        let chunkSize = self.configuration.readChunkSize
        let file = stored.file
        return OpenedObject(
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
    }

    /// Opens a regular file with its metadata, blocking; nil when there is none at `path`.
    static func openStoredFileBlocking(_ path: String) throws -> StoredFile? {
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
            contentType: Self.attribute(file, Self.contentTypeAttribute)
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
