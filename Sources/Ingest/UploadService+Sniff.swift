import Catalog
import Foundation

extension UploadService {
    /// Sniffs the spooled upload as one file: reads may cross chunk boundaries (an ID3v2 tag
    /// with cover art can be larger than a chunk).
    ///
    /// - Returns: The format, or nil when the upload is not audio we accept.
    func sniffSpooled(_ session: UploadSession) throws -> AudioSniffer.Format? {
        try AudioSniffer.sniffSync { offset, length in
            try self.readSpooled(session, offset: offset, length: length)
        }
    }

    /// Up to `length` bytes of the assembled upload from `offset`, read from its chunk files.
    private func readSpooled(_ session: UploadSession, offset: Int64, length: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var position = offset
        while bytes.count < length, position < session.declaredSize, session.chunkSize > 0 {
            let index = Int(position / session.chunkSize)
            guard index < session.totalChunks else { break }
            let path = self.spool.path(for: session.id, index: index)
            guard let handle = FileHandle(forReadingAtPath: path) else { break }
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(position - Int64(index) * session.chunkSize))
            let read = Array(try handle.read(upToCount: length - bytes.count) ?? Data())
            guard !read.isEmpty else { break }
            bytes += read
            position += Int64(read.count)
        }
        return bytes
    }
}
