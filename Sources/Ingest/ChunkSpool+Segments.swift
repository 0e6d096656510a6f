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
    /// The file where the chunk at `index` grows while bytes arrive in arbitrary stretches.
    func partialPath(for uploadID: UUID, index: Int) -> String {
        (self.folder(for: uploadID) as NSString).appendingPathComponent("\(index).partial")
    }

    func partialSize(uploadID: UUID, index: Int) -> Int64 {
        var info = stat()
        guard stat(self.partialPath(for: uploadID, index: index), &info) == 0 else { return 0 }
        return Int64(info.st_size)
    }

    /// A tus `PATCH` body in staged files beside the chunks, not yet part of the upload's offset.
    struct StagedSegment: Sendable {
        let size: Int64
        /// Chunks the segment completed: index and staged file, to be promoted to chunks.
        let full: [(index: Int, path: String)]
        /// The chunk the segment ends inside: it replaces that chunk's partial file.
        let trailing: (index: Int, path: String)?
    }

    /// Streams a tus `PATCH` body that starts at `offset` into staged files, one per chunk it
    /// touches (the first one begins with a copy of that chunk's partial file, at most one chunk),
    /// and checks its checksum at the end.
    ///
    /// Until ``commitSegment(_:uploadID:)`` nothing the upload's offset is read from changes, so a
    /// `HEAD` during the `PATCH` and a `PATCH` that fails (too long, checksum mismatch, a body cut
    /// short, a crash) leave the offset where it was.
    func receiveSegment<Body: AsyncSequence>(
        _ body: Body,
        session: UploadSession,
        offset: Int64,
        checksum: SegmentChecksum?
    ) async throws -> StagedSegment where Body.Element == ByteBuffer {
        let uploadID = session.id
        let folder = self.folder(for: uploadID)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let firstIndex = Int(offset / session.chunkSize)
        var index = firstIndex
        var position = offset
        var staged: [(index: Int, path: String)] = []
        var file: SpoolFile? = nil
        do {
            var sha1 = Insecure.SHA1()
            var sha256 = SHA256()
            let size = try await Self.drain(
                body,
                limit: session.declaredSize - offset,
                tooLarge: { IngestError.segmentTooLarge(remaining: session.declaredSize - offset) }
            ) { buffer in
                buffer.withUnsafeReadableBytes { raw in
                    switch checksum {
                    case .sha1: sha1.update(bufferPointer: raw)
                    case .sha256: sha256.update(bufferPointer: raw)
                    case nil: break
                    }
                }
                var rest = buffer
                while rest.readableBytes > 0 {
                    let current: SpoolFile
                    if let file {
                        current = file
                    } else {
                        current = try await self.stagedFile(
                            uploadID: uploadID,
                            index: index,
                            copyPartial: index == firstIndex
                        )
                        staged.append((index, current.path))
                        file = current
                    }
                    let chunkEnd = Int64(index) * session.chunkSize + session.expectedLength(ofChunk: index)
                    let piece = rest.readSlice(length: Int(min(Int64(rest.readableBytes), chunkEnd - position)))!
                    try await current.write(piece)
                    position += Int64(piece.readableBytes)
                    if position == chunkEnd {
                        try await current.sync()
                        current.close()
                        file = nil
                        index += 1
                    }
                }
            }
            switch checksum {
            case .sha1(let expected) where Array(sha1.finalize()) != expected,
                .sha256(let expected) where Array(sha256.finalize()) != expected:
                throw IngestError.segmentChecksumMismatch(algorithm: checksum!.algorithm)
            default: break
            }
            try await file?.sync()
            file?.close()
            let trailing = file == nil ? nil : staged.last
            return StagedSegment(size: size, full: file == nil ? staged : Array(staged.dropLast()), trailing: trailing)
        } catch {
            file?.close()
            for entry in staged { unlink(entry.path) }
            throw error
        }
    }

    /// A new staged file for chunk `index`, starting with the chunk's partial bytes when asked.
    private func stagedFile(uploadID: UUID, index: Int, copyPartial: Bool) async throws -> SpoolFile {
        let path = (self.folder(for: uploadID) as NSString).appendingPathComponent(
            ".\(index).\(UUID().uuidString.lowercased()).staged"
        )
        let file = try SpoolFile.open(path, exclusive: true, threadPool: self.threadPool)
        guard copyPartial else { return file }
        let partial = self.partialPath(for: uploadID, index: index)
        do {
            try await file.copy(from: partial)
        } catch {
            file.close()
            unlink(path)
            throw error
        }
        return file
    }

    /// The SHA-256 of a staged file, read on the thread pool.
    func digest(ofStaged path: String) async throws -> String {
        try await self.threadPool.runIfActive {
            guard let input = FileHandle(forReadingAtPath: path) else {
                throw SpoolIOError(operation: "open", path: path, errno: errno)
            }
            defer { try? input.close() }
            var hasher = SHA256()
            while let piece = try input.read(upToCount: 1024 * 1024), !piece.isEmpty {
                hasher.update(data: piece)
            }
            return hex(hasher.finalize())
        }
    }

    /// Makes a staged segment part of the upload (renames only: quick, under the upload's lock):
    /// full chunks become chunk files, the trailing one the partial file.
    func commitSegment(_ segment: StagedSegment, uploadID: UUID) throws {
        for (index, path) in segment.full {
            let destination = self.path(for: uploadID, index: index)
            guard rename(path, destination) == 0 else {
                throw SpoolIOError(operation: "rename", path: destination, errno: errno)
            }
            unlink(self.partialPath(for: uploadID, index: index))
        }
        if let (index, path) = segment.trailing {
            let destination = self.partialPath(for: uploadID, index: index)
            guard rename(path, destination) == 0 else {
                throw SpoolIOError(operation: "rename", path: destination, errno: errno)
            }
        }
    }

    /// Drops a staged segment that will not be committed.
    func discard(_ segment: StagedSegment) {
        for (_, path) in segment.full { unlink(path) }
        if let (_, path) = segment.trailing { unlink(path) }
    }
}
