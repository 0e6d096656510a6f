import Crypto
import NIOCore
import Storage

/// Reads an upload's chunk files in order as one stream, computing the SHA-256 and the byte
/// count of everything it hands out.
struct SpoolReader {
    private let paths: [String]
    private var nextPath = 0
    private var current: ObjectByteStream.AsyncIterator?
    private var leftover: ByteBuffer?
    private var hasher = SHA256()
    private(set) var count: Int64 = 0
    private let readSize: Int

    init(paths: [String], readSize: Int = 256 * 1024) {
        self.paths = paths
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
                let body = try await ObjectBody.file(atPath: self.paths[self.nextPath], chunkSize: self.readSize)
                self.nextPath += 1
                self.current = body.byteStream.makeAsyncIterator()
            }
            if let buffer = try await self.current!.next() {
                if buffer.readableBytes > 0 { return buffer }
            } else {
                self.current = nil
            }
        }
    }
}
