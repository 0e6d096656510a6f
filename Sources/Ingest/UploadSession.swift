import Catalog
import Foundation

/// Where an upload session is in its life; see ``UploadSession/StateMachine``.
public enum UploadStatus: String, Codable, Sendable, CaseIterable {
    /// Chunks are being sent (in any order, retries allowed).
    case receiving
    /// `complete` is streaming the chunks into the store.
    case assembling
    /// The track exists; the chunks are gone.
    case completed
    /// The owner gave up; everything was freed.
    case aborted
    /// Nobody finished it in time; the garbage collector freed it.
    case expired
}

/// A resumable upload: what the client declared, and how it is cut into chunks.
///
/// The state lives in the database so that any `veza serve` node can answer for any upload; the
/// chunk bytes live in the spool of the node's data directory.
public struct UploadSession: Codable, Sendable, Equatable, Identifiable {
    public var id: UUID
    public var ownerID: UUID
    public var filename: String
    /// The whole file's size in bytes, as declared at creation.
    public var declaredSize: Int64
    /// The whole file's SHA-256 (lowercase hex), when the client declared it.
    public var sha256: String?
    public var contentType: String?
    public var title: String
    public var visibility: TrackVisibility
    /// Bytes per chunk; only the last chunk is shorter.
    public var chunkSize: Int64
    public var totalChunks: Int
    public var status: UploadStatus
    /// The track made from this upload, once completed.
    public var trackID: UUID?
    /// The object key and multipart upload of the assembly in progress, so an abort or the garbage
    /// collector can free it if the assembling process died.
    public var storageKey: String?
    public var multipartUploadID: String?
    public var expiresAt: Date
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id
        case ownerID = "owner_id"
        case filename
        case declaredSize = "declared_size"
        case sha256
        case contentType = "content_type"
        case title
        case visibility
        case chunkSize = "chunk_size"
        case totalChunks = "total_chunks"
        case status
        case trackID = "track_id"
        case storageKey = "storage_key"
        case multipartUploadID = "multipart_upload_id"
        case expiresAt = "expires_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    static let columns = """
        id, owner_id, filename, declared_size, sha256, content_type, title, visibility, chunk_size, total_chunks, \
        status, track_id, storage_key, multipart_upload_id, expires_at, created_at, updated_at
        """

    /// The length chunk `index` must have.
    public func expectedLength(ofChunk index: Int) -> Int64 {
        precondition(index >= 0 && index < self.totalChunks)
        return index == self.totalChunks - 1 ? self.declaredSize - Int64(index) * self.chunkSize : self.chunkSize
    }

    /// The number of chunks a file of `size` bytes is cut into.
    static func chunkCount(size: Int64, chunkSize: Int64) -> Int {
        Int((size + chunkSize - 1) / chunkSize)
    }

    /// The file name's extension, lowercased, or nil.
    var fileExtension: String? {
        let ext = (self.filename as NSString).pathExtension.lowercased()
        return ext.isEmpty ? nil : ext
    }
}

/// One stored chunk of an upload.
public struct UploadChunk: Codable, Sendable, Equatable {
    public var uploadID: UUID
    public var index: Int
    public var size: Int64
    /// Lowercase hex SHA-256 of the chunk.
    public var sha256: String
    public var receivedAt: Date

    enum CodingKeys: String, CodingKey {
        case uploadID = "upload_id"
        case index = "chunk_index"
        case size = "size_bytes"
        case sha256
        case receivedAt = "received_at"
    }

    static let columns = "upload_id, chunk_index, size_bytes, sha256, received_at"
}

/// What `GET /uploads/{id}` reports: the session and which chunks are in.
public struct UploadProgress: Sendable, Equatable {
    public var session: UploadSession
    /// Indexes of the stored chunks, ascending.
    public var received: [Int]
    /// Indexes still to send, ascending.
    public var missing: [Int]
    /// Bytes stored so far.
    public var receivedBytes: Int64
}
