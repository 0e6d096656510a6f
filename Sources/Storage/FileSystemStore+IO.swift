import Crypto
import Foundation
import NIOCore
import NIOFileSystem
import NIOPosix

/// An open object file and its metadata.
struct StoredFile: Sendable {
    var file: OpenFile
    var size: Int64
    var lastModified: Date
    var etag: String
    var contentType: String?
}

extension FileSystemStore {
    /// Opens a regular file with its metadata; nil when there is none at `path`.
    func openStoredFile(_ path: String, key: String?) async throws -> StoredFile? {
        let handle: ReadFileHandle
        do {
            handle = try await FileSystem.shared.openFile(forReadingAt: FilePath(path), options: OpenOptions.Read())
        } catch let error as FileSystemError
            where error.code == .notFound || (error.cause as? FileSystemError.SystemCallError)?.errno == .notDirectory
        {
            return nil
        } catch {
            throw Self.storageError(error, key: key)
        }
        do {
            let info = try await handle.info()
            guard info.type == .regular else {
                try await handle.close()
                return nil
            }
            let etag = try? await handle.valueForAttribute(Self.etagAttribute)
            let contentType = try? await handle.valueForAttribute(Self.contentTypeAttribute)
            let descriptor = try handle.detachUnsafeFileDescriptor()
            let modified = info.lastDataModificationTime
            return StoredFile(
                file: OpenFile(fd: descriptor.rawValue, path: path),
                size: info.size,
                lastModified: Date(
                    timeIntervalSince1970: Double(modified.seconds) + Double(modified.nanoseconds) / 1_000_000_000
                ),
                etag: etag.map { String(decoding: $0, as: UTF8.self) }
                    ?? Self.fallbackETag(info, inode: info.platformSpecificStatus.map { UInt64($0.st_ino) } ?? 0),
                contentType: contentType.map { String(decoding: $0, as: UTF8.self) }
            )
        } catch {
            try? await handle.close()
            throw Self.storageError(error, key: key)
        }
    }

    /// An ETag for files written without one: changes whenever size, mtime or inode change.
    static func fallbackETag(_ info: FileInfo, inode: UInt64) -> String {
        let modified = info.lastDataModificationTime
        return Self.fallbackETag(
            size: info.size,
            seconds: Int64(modified.seconds),
            nanoseconds: Int64(modified.nanoseconds),
            inode: inode
        )
    }

    /// The fallback ETag from the file's size, modification time and inode.
    static func fallbackETag(size: Int64, seconds: Int64, nanoseconds: Int64, inode: UInt64) -> String {
        let identity = "\(size):\(seconds).\(nanoseconds):\(inode)"
        return Insecure.MD5.hash(data: Array(identity.utf8)).hex
    }

    /// Streams a body into a new file under `.veza/tmp/`, stores its ETag (hex MD5) and content
    /// type, and `fsync`s it. Nothing is left behind when anything fails.
    ///
    /// - Returns: The temporary path, the size and the ETag.
    func writeTemporaryFile(
        from body: ObjectBody,
        key: String?,
        contentType: String?
    ) async throws -> (path: String, size: Int64, etag: String) {
        let path = try await self.newTemporaryPath()
        do {
            return try await FileSystem.shared.withFileHandle(
                forWritingAt: FilePath(path),
                options: .newFile(replaceExisting: false)
            ) { handle in
                var md5 = Insecure.MD5()
                var size: Int64 = 0
                var pending = ByteBuffer()
                for try await chunk in body.byteStream {
                    chunk.withUnsafeReadableBytes { md5.update(bufferPointer: $0) }
                    if pending.readableBytes > 0, pending.readableBytes + chunk.readableBytes > Self.writeChunkSize {
                        try await handle.write(
                            contentsOf: pending,
                            toAbsoluteOffset: size - Int64(pending.readableBytes)
                        )
                        pending.clear()
                    }
                    size += Int64(chunk.readableBytes)
                    if chunk.readableBytes >= Self.writeChunkSize {
                        try await handle.write(contentsOf: chunk, toAbsoluteOffset: size - Int64(chunk.readableBytes))
                    } else {
                        if pending.capacity == 0 { pending.reserveCapacity(Self.writeChunkSize) }
                        var chunk = chunk
                        pending.writeBuffer(&chunk)
                    }
                }
                if pending.readableBytes > 0 {
                    try await handle.write(contentsOf: pending, toAbsoluteOffset: size - Int64(pending.readableBytes))
                }
                if let expected = body.length, expected != size {
                    throw StorageError.invalidArgument.with(
                        message: "The body was \(size) bytes long but its declared length is \(expected).",
                        key: key
                    )
                }
                let etag = md5.finalize().hex
                try await self.finish(handle, etag: etag, contentType: contentType)
                return (path, size, etag)
            }
        } catch {
            throw Self.storageError(error, key: key)
        }
    }

    /// Concatenates files into a new temporary file with the given metadata, `fsync`ed.
    func concatenate(_ paths: [String], key: String, etag: String, contentType: String?) async throws -> String {
        let output = try await self.newTemporaryPath()
        do {
            try await FileSystem.shared.withFileHandle(
                forWritingAt: FilePath(output),
                options: .newFile(replaceExisting: false)
            ) { handle in
                var offset: Int64 = 0
                for path in paths {
                    let source = try await self.io { try Posix.open(path, flags: O_RDONLY) }
                    var position: Int64 = 0
                    while true {
                        let start = position
                        let chunk = try await self.io {
                            try Posix.read(source, offset: start, count: Self.writeChunkSize)
                        }
                        if chunk.readableBytes == 0 { break }
                        try await handle.write(contentsOf: chunk, toAbsoluteOffset: offset)
                        position += Int64(chunk.readableBytes)
                        offset += Int64(chunk.readableBytes)
                    }
                }
                try await self.finish(handle, etag: etag, contentType: contentType)
            }
            return output
        } catch {
            throw Self.storageError(error, key: key)
        }
    }

    /// Stores the metadata attributes and flushes the file to disk.
    private func finish(_ handle: WriteFileHandle, etag: String, contentType: String?) async throws {
        do {
            try await handle.updateValueForAttribute(Array(etag.utf8), attribute: Self.etagAttribute)
            if let contentType {
                try await handle.updateValueForAttribute(Array(contentType.utf8), attribute: Self.contentTypeAttribute)
            }
        } catch let error as FileSystemError where error.code == .unsupported {
            self.logger.warning(
                "File system without user extended attributes: ETags and content types are not stored",
                metadata: ["storage.root": "\(self.root)"]
            )
        }
        try await handle.synchronize()
    }

    private func newTemporaryPath() async throws -> String {
        let directory = self.temporaryDirectory
        try await self.io {
            do {
                try Posix.makeDirectories(directory, root: "")
            } catch let error as SystemCallError {
                throw error.storageError(key: nil, notFound: .io)
            }
        }
        return directory + "/" + Self.randomID()
    }

    /// Any error from a file operation as a ``StorageError``.
    static func storageError(_ error: any Error, key: String?) -> any Error {
        switch error {
        case is StorageError, is CancellationError:
            return error
        case let error as SystemCallError:
            return error.storageError(key: key, notFound: .io)
        case let error as FileSystemError:
            return StorageError.io.with(message: "\(error)", key: key)
        default:
            return StorageError.io.with(message: "\(error)", key: key)
        }
    }
}

/// Reads a byte range of an open file in chunks, on a thread pool, as it is iterated.
struct FileChunkSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let file: OpenFile
    let range: Range<Int64>
    let chunkSize: Int
    let threadPool: NIOThreadPool

    struct AsyncIterator: AsyncIteratorProtocol {
        let sequence: FileChunkSequence
        var offset: Int64

        mutating func next() async throws -> ByteBuffer? {
            guard self.offset < self.sequence.range.upperBound else { return nil }
            let count = Int(Swift.min(Int64(self.sequence.chunkSize), self.sequence.range.upperBound - self.offset))
            let file = self.sequence.file
            let offset = self.offset
            let chunk = try await self.sequence.threadPool.runIfActive { () throws -> ByteBuffer in
                do {
                    return try Posix.read(file, offset: offset, count: count)
                } catch let error as SystemCallError {
                    throw error.storageError(key: nil, notFound: .io)
                }
            }
            guard chunk.readableBytes > 0 else {
                throw StorageError.io.with(message: "\(file.path) was truncated while being read.")
            }
            self.offset += Int64(chunk.readableBytes)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(sequence: self, offset: self.range.lowerBound)
    }
}
