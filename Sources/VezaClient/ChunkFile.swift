import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The file being uploaded, open for `pread`: each chunk is read straight into a reusable
/// ``ByteBuffer`` (no `Data`, no copy into the request body).
final class ChunkFile: @unchecked Sendable {
    private let descriptor: Int32
    let path: String

    init(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw UploadClient.Failure(description: "cannot read \(path)") }
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(self.descriptor) }

    /// Replaces `buffer`'s bytes with the `length` bytes at `offset`.
    ///
    /// - Throws: ``UploadClient/Failure`` when the file is shorter now (it changed while uploading)
    ///   or cannot be read.
    func read(into buffer: inout ByteBuffer, offset: Int64, length: Int) throws {
        buffer.clear(minimumCapacity: length)
        let descriptor = self.descriptor
        let path = self.path
        let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { target in
            var done = 0
            while done < length {
                let count = pread(descriptor, target.baseAddress! + done, length - done, off_t(offset) + off_t(done))
                if count < 0 {
                    if errno == EINTR { continue }
                    throw UploadClient.Failure(description: "cannot read \(path): errno \(errno)")
                }
                if count == 0 { break }
                done += count
            }
            return done
        }
        guard read == length else { throw UploadClient.Failure(description: "\(path) changed while uploading") }
    }
}
