import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A spool file open for writing: a chunk's temporary file or a tus chunk's partial file.
///
/// Writes, copies and `fsync` block, so they run on a thread pool, never on the async threads
/// that serve requests (an fsync of a 10 MiB chunk can take longer than a whole request should).
struct SpoolFile: Sendable {
    let path: String
    private let descriptor: Int32
    private let threadPool: NIOThreadPool

    /// Opens `path` for appending; `exclusive` refuses an existing file (a fresh temporary name).
    static func open(_ path: String, exclusive: Bool, threadPool: NIOThreadPool) throws -> SpoolFile {
        let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (exclusive ? O_EXCL : 0)
        let descriptor = Glibc.open(path, flags, 0o600)
        guard descriptor >= 0 else { throw SpoolIOError(operation: "open", path: path, errno: errno) }
        return SpoolFile(path: path, descriptor: descriptor, threadPool: threadPool)
    }

    private init(path: String, descriptor: Int32, threadPool: NIOThreadPool) {
        self.path = path
        self.descriptor = descriptor
        self.threadPool = threadPool
    }

    /// Appends every readable byte of `buffer`.
    func write(_ buffer: ByteBuffer) async throws {
        try await self.threadPool.runIfActive { try self.writeBlocking(buffer) }
    }

    /// Makes the written bytes survive a crash: a client is told they are stored only after this.
    func sync() async throws {
        try await self.threadPool.runIfActive {
            guard fsync(self.descriptor) == 0 else {
                throw SpoolIOError(operation: "fsync", path: self.path, errno: errno)
            }
        }
    }

    /// Appends the whole file at `source` (missing: nothing), in steps of 1 MiB.
    func copy(from source: String) async throws {
        try await self.threadPool.runIfActive {
            guard let input = FileHandle(forReadingAtPath: source) else { return }
            defer { try? input.close() }
            while let piece = try input.read(upToCount: 1024 * 1024), !piece.isEmpty {
                try self.writeBlocking(ByteBuffer(bytes: piece))
            }
        }
    }

    func close() {
        _ = Glibc.close(self.descriptor)
    }

    private func writeBlocking(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(self.descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw SpoolIOError(operation: "write", path: self.path, errno: errno)
                }
                offset += written
            }
        }
    }
}

extension ChunkSpool {
    /// The one loop that moves a request body onto the spool disk.
    ///
    /// Bytes are counted as they arrive and refused with `tooLarge` as soon as they exceed `limit`
    /// (a lying `Content-Length` cannot make the server store more). Small buffers are gathered
    /// into writes of ``writeSize`` before they reach `write`, which is where the chunk API (one
    /// temporary file) and tus (the chunks' partial files) differ, and where digests are taken.
    ///
    /// - Returns: The number of bytes written.
    static func drain<Body: AsyncSequence>(
        _ body: Body,
        limit: Int64,
        tooLarge: () -> IngestError,
        write: (ByteBuffer) async throws -> Void
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        var size: Int64 = 0
        var gathered = ByteBuffer()
        for try await buffer in body {
            size += Int64(buffer.readableBytes)
            guard size <= limit else { throw tooLarge() }
            if gathered.readableBytes == 0 && buffer.readableBytes >= Self.writeSize {
                try await write(buffer)
                continue
            }
            var buffer = buffer
            gathered.writeBuffer(&buffer)
            if gathered.readableBytes >= Self.writeSize {
                try await write(gathered)
                gathered.clear()
            }
        }
        if gathered.readableBytes > 0 { try await write(gathered) }
        return size
    }

    /// Bytes gathered per write call.
    static let writeSize = 256 * 1024
}
