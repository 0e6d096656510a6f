import Crypto
import NIOCore
import Storage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads an upload's chunk files in order as one stream, computing the SHA-256 and the byte
/// count of everything it hands out.
///
/// It can go on from where another reader stopped (``init(paths:skip:hasher:count:readSize:)``
/// with that reader's digest state and count), and it records which file it opened for each path
/// (``opened``), so a later check can tell whether a chunk was replaced since it was read.
struct SpoolReader {
    private let paths: [String]
    private var nextPath = 0
    private var current: ObjectByteStream.AsyncIterator?
    private var leftover: ByteBuffer?
    private var skip: Int64
    private(set) var hasher: SHA256
    private(set) var count: Int64
    private let readSize: Int
    /// The file behind each path opened so far, in order; nil when the path changed while it was opened.
    private(set) var opened: [FileIdentity?] = []

    /// - Parameters:
    ///   - paths: The chunk files, in order.
    ///   - skip: Bytes of the first file already read (neither handed out nor hashed).
    ///   - hasher: The digest of what came before.
    ///   - count: The bytes that came before.
    init(paths: [String], skip: Int64 = 0, hasher: SHA256 = SHA256(), count: Int64 = 0, readSize: Int = 256 * 1024) {
        self.paths = paths
        self.skip = skip
        self.hasher = hasher
        self.count = count
        self.readSize = readSize
    }

    /// Up to `maxBytes` of the next bytes, or nil at the end of the last chunk.
    mutating func next(maxBytes: Int) async throws -> ByteBuffer? {
        guard var buffer = try await self.nextBuffer() else { return nil }
        if buffer.readableBytes > maxBytes {
            let head = buffer.readSlice(length: maxBytes)!
            self.leftover = buffer
            buffer = head
        }
        buffer.withUnsafeReadableBytes { self.hasher.update(bufferPointer: $0) }
        self.count += Int64(buffer.readableBytes)
        return buffer
    }

    /// The digest of everything read; call once, at the end.
    mutating func finalize() -> String {
        hex(self.hasher.finalize())
    }

    private mutating func nextBuffer() async throws -> ByteBuffer? {
        if let leftover = self.leftover {
            self.leftover = nil
            return leftover
        }
        while true {
            if self.current == nil {
                guard self.nextPath < self.paths.count else { return nil }
                let path = self.paths[self.nextPath]
                // A chunk is replaced by a rename: the same file before and after the open is the one opened.
                let before = FileIdentity(path: path)
                let body = try await ObjectBody.file(atPath: path, chunkSize: self.readSize)
                let after = FileIdentity(path: path)
                self.opened.append(before == after ? before : nil)
                self.nextPath += 1
                self.current = body.byteStream.makeAsyncIterator()
            }
            if var buffer = try await self.current!.next() {
                if self.skip > 0 {
                    let dropped = Int(min(self.skip, Int64(buffer.readableBytes)))
                    buffer.moveReaderIndex(forwardBy: dropped)
                    self.skip -= Int64(dropped)
                }
                if buffer.readableBytes > 0 { return buffer }
            } else {
                self.current = nil
            }
        }
    }
}

/// Which file a path names: spool files are never changed in place, only replaced by a rename,
/// so the same identity means the same bytes.
struct FileIdentity: Sendable, Equatable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modifiedSeconds: Int
    let modifiedNanoseconds: Int

    /// The file at `path` now, or nil when there is none.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.device = UInt64(info.st_dev)
        self.inode = UInt64(info.st_ino)
        self.size = Int64(info.st_size)
        self.modifiedSeconds = Int(info.st_mtim.tv_sec)
        self.modifiedNanoseconds = Int(info.st_mtim.tv_nsec)
    }
}
