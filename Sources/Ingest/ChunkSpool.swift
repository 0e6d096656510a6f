import Crypto
import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Chunks on local disk while an upload is in progress: `<spool>/<uploadID>/<index>`.
///
/// A chunk is streamed into a temporary file in the upload's folder, `fsync`ed and only renamed
/// to its index once it is complete and verified, so a reader never sees half a chunk.
struct ChunkSpool: Sendable {
    let directory: String
    /// Where the blocking file calls run.
    var threadPool: NIOThreadPool = .singleton

    /// A chunk written to a temporary file, not yet visible.
    struct PendingChunk: Sendable {
        let temporaryPath: String
        let size: Int64
        let sha256: String
    }

    func folder(for uploadID: UUID) -> String {
        (self.directory as NSString).appendingPathComponent(uploadID.uuidString.lowercased())
    }

    func path(for uploadID: UUID, index: Int) -> String {
        (self.folder(for: uploadID) as NSString).appendingPathComponent(String(index))
    }

    /// Streams `body` into a temporary file, refusing it as soon as it exceeds `expectedLength`
    /// (a lying `Content-Length` cannot make the server store more), then checks the length and
    /// the optional SHA-256.
    func receive<Body: AsyncSequence>(
        _ body: Body,
        uploadID: UUID,
        index: Int,
        expectedLength: Int64,
        expectedSHA256: String?
    ) async throws -> PendingChunk where Body.Element == ByteBuffer {
        let folder = self.folder(for: uploadID)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = (folder as NSString).appendingPathComponent(".\(index).\(UUID().uuidString.lowercased()).part")
        let file = try SpoolFile.open(temporary, exclusive: true, threadPool: self.threadPool)
        do {
            var hasher = SHA256()
            let size = try await Self.drain(
                body,
                limit: expectedLength,
                tooLarge: { IngestError.chunkTooLarge(index: index, expected: expectedLength) }
            ) { buffer in
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                try await file.write(buffer)
            }
            guard size == expectedLength else {
                throw IngestError.chunkLengthMismatch(index: index, expected: expectedLength, actual: size)
            }
            let digest = hex(hasher.finalize())
            if let expectedSHA256, expectedSHA256 != digest {
                throw IngestError.chunkChecksumMismatch(index: index, expected: expectedSHA256, actual: digest)
            }
            // The chunk must survive a crash once the client was told it is stored.
            try await file.sync()
            file.close()
            return PendingChunk(temporaryPath: temporary, size: size, sha256: digest)
        } catch {
            file.close()
            unlink(temporary)
            throw error
        }
    }

    /// Makes a received chunk visible under its index, replacing an earlier copy.
    func commit(_ chunk: PendingChunk, uploadID: UUID, index: Int) throws {
        let destination = self.path(for: uploadID, index: index)
        guard rename(chunk.temporaryPath, destination) == 0 else {
            throw SpoolIOError(operation: "rename", path: destination, errno: errno)
        }
    }

    /// Drops a received chunk that will not be committed.
    func discard(_ chunk: PendingChunk) {
        unlink(chunk.temporaryPath)
    }

    /// Removes every chunk of an upload.
    func removeAll(uploadID: UUID) {
        try? FileManager.default.removeItem(atPath: self.folder(for: uploadID))
    }

    /// The size of a stored chunk, or nil when it is missing.
    func size(uploadID: UUID, index: Int) -> Int64? {
        var info = stat()
        guard stat(self.path(for: uploadID, index: index), &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// The first bytes of a stored chunk (for format sniffing).
    func prefix(uploadID: UUID, index: Int, length: Int) throws -> [UInt8] {
        let path = self.path(for: uploadID, index: index)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SpoolIOError(operation: "open", path: path, errno: ENOENT)
        }
        defer { try? handle.close() }
        return Array(try handle.read(upToCount: length) ?? Data())
    }
}

/// A spool file operation failed (disk full, permissions).
struct SpoolIOError: Error, CustomStringConvertible {
    let operation: String
    let path: String
    let errno: Int32

    var description: String { "\(self.operation) \(self.path): \(String(cString: strerror(self.errno)))" }
}

/// Lowercase hex of a digest.
func hex(_ digest: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var bytes: [UInt8] = []
    for byte in digest {
        bytes.append(digits[Int(byte >> 4)])
        bytes.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: bytes, as: UTF8.self)
}
