import Crypto
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A checksum a client sends with a stream of bytes (tus `Upload-Checksum`).
public enum SegmentChecksum: Sendable, Equatable {
    case sha1([UInt8])
    case sha256([UInt8])

    var algorithm: String {
        switch self {
        case .sha1: "sha1"
        case .sha256: "sha256"
        }
    }
}

extension ChunkSpool {
    /// A stretch of bytes (a tus `PATCH` body) in a temporary file, not yet split into chunks.
    struct PendingSegment: Sendable {
        let temporaryPath: String
        let size: Int64
    }

    /// The file where the chunk at `index` grows while bytes arrive in arbitrary stretches.
    func partialPath(for uploadID: UUID, index: Int) -> String {
        (self.folder(for: uploadID) as NSString).appendingPathComponent("\(index).partial")
    }

    func partialSize(uploadID: UUID, index: Int) -> Int64 {
        var info = stat()
        guard stat(self.partialPath(for: uploadID, index: index), &info) == 0 else { return 0 }
        return Int64(info.st_size)
    }

    /// Streams a body of at most `maxLength` bytes into a temporary file, checking its checksum.
    func receiveSegment<Body: AsyncSequence>(
        _ body: Body,
        uploadID: UUID,
        maxLength: Int64,
        checksum: SegmentChecksum?
    ) async throws -> PendingSegment where Body.Element == ByteBuffer {
        let folder = self.folder(for: uploadID)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = (folder as NSString).appendingPathComponent(".segment.\(UUID().uuidString.lowercased()).part")
        let file = try SpoolFile.open(temporary, exclusive: true)
        do {
            var sha1 = Insecure.SHA1()
            var sha256 = SHA256()
            let size = try await Self.drain(
                body,
                limit: maxLength,
                tooLarge: { IngestError.segmentTooLarge(remaining: maxLength) }
            ) { buffer in
                buffer.withUnsafeReadableBytes { raw in
                    switch checksum {
                    case .sha1: sha1.update(bufferPointer: raw)
                    case .sha256: sha256.update(bufferPointer: raw)
                    case nil: break
                    }
                }
                try file.write(buffer)
            }
            switch checksum {
            case .sha1(let expected) where Array(sha1.finalize()) != expected,
                .sha256(let expected) where Array(sha256.finalize()) != expected:
                throw IngestError.segmentChecksumMismatch(algorithm: checksum!.algorithm)
            default: break
            }
            try file.sync()
            file.close()
            return PendingSegment(temporaryPath: temporary, size: size)
        } catch {
            file.close()
            unlink(temporary)
            throw error
        }
    }

    /// Appends `length` bytes of `source` from `offset` to a chunk's partial file.
    func appendToPartial(from source: FileHandle, length: Int64, uploadID: UUID, index: Int) throws {
        let path = self.partialPath(for: uploadID, index: index)
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw SpoolIOError(operation: "create", path: path, errno: errno)
            }
        }
        guard let output = FileHandle(forWritingAtPath: path) else {
            throw SpoolIOError(operation: "open", path: path, errno: errno)
        }
        defer { try? output.close() }
        try output.seekToEnd()
        var remaining = length
        while remaining > 0 {
            let piece = try source.read(upToCount: Int(min(remaining, 1024 * 1024))) ?? Data()
            guard !piece.isEmpty else { throw SpoolIOError(operation: "read", path: path, errno: EIO) }
            try output.write(contentsOf: piece)
            remaining -= Int64(piece.count)
        }
        try output.synchronize()
    }

    /// Turns a full partial file into the chunk at `index`; returns its SHA-256.
    func promotePartial(uploadID: UUID, index: Int) throws -> String {
        let path = self.partialPath(for: uploadID, index: index)
        guard let input = FileHandle(forReadingAtPath: path) else {
            throw SpoolIOError(operation: "open", path: path, errno: errno)
        }
        var hasher = SHA256()
        while let piece = try input.read(upToCount: 1024 * 1024), !piece.isEmpty {
            hasher.update(data: piece)
        }
        try? input.close()
        let destination = self.path(for: uploadID, index: index)
        guard rename(path, destination) == 0 else {
            throw SpoolIOError(operation: "rename", path: destination, errno: errno)
        }
        return hex(hasher.finalize())
    }
}
