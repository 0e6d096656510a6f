import Foundation

/// `POST /api/v1/uploads`: the file to come.
public struct CreateUploadRequest: Codable, Sendable, Equatable {
    public var filename: String
    public var size: Int64
    /// Lowercase hex SHA-256 of the whole file; the server refuses a file that does not match.
    public var sha256: String?
    public var contentType: String?
    public var title: String?
    /// `public`, `unlisted` or `private`.
    public var visibility: String?

    enum CodingKeys: String, CodingKey {
        case filename, size, sha256, title, visibility
        case contentType = "content_type"
    }

    public init(
        filename: String,
        size: Int64,
        sha256: String? = nil,
        contentType: String? = nil,
        title: String? = nil,
        visibility: String? = nil
    ) {
        self.filename = filename
        self.size = size
        self.sha256 = sha256
        self.contentType = contentType
        self.title = title
        self.visibility = visibility
    }
}

/// The optional body of `POST /api/v1/uploads/{id}/complete`.
public struct CompleteUploadRequest: Codable, Sendable, Equatable {
    /// Lowercase hex SHA-256 of the whole file, for a client that hashed it while sending the
    /// chunks instead of before `create`; the server refuses a file that does not match (and one
    /// that differs from a digest declared at `create`).
    public var sha256: String?

    public init(sha256: String? = nil) {
        self.sha256 = sha256
    }
}

/// `POST /api/v1/uploads` → 201: where to send the chunks.
public struct UploadCreated: Codable, Sendable, Equatable {
    /// Lowercase UUID.
    public var id: String
    public var chunkSize: Int64
    public var totalChunks: Int
    public var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case id
        case chunkSize = "chunk_size"
        case totalChunks = "total_chunks"
        case expiresAt = "expires_at"
    }

    public init(id: String, chunkSize: Int64, totalChunks: Int, expiresAt: Date) {
        self.id = id
        self.chunkSize = chunkSize
        self.totalChunks = totalChunks
        self.expiresAt = expiresAt
    }
}

/// `GET /api/v1/uploads/{id}`: which chunks arrived, so a client resumes with the missing ones.
public struct UploadState: Codable, Sendable, Equatable {
    public var id: String
    public var status: String
    public var filename: String
    public var size: Int64
    public var chunkSize: Int64
    public var totalChunks: Int
    public var receivedChunks: [Int]
    public var missingChunks: [Int]
    public var receivedBytes: Int64
    public var expiresAt: Date
    /// Set once `complete` made the track.
    public var trackID: String?

    enum CodingKeys: String, CodingKey {
        case id, status, filename, size
        case chunkSize = "chunk_size"
        case totalChunks = "total_chunks"
        case receivedChunks = "received_chunks"
        case missingChunks = "missing_chunks"
        case receivedBytes = "received_bytes"
        case expiresAt = "expires_at"
        case trackID = "track_id"
    }

    public init(
        id: String,
        status: String,
        filename: String,
        size: Int64,
        chunkSize: Int64,
        totalChunks: Int,
        receivedChunks: [Int],
        missingChunks: [Int],
        receivedBytes: Int64,
        expiresAt: Date,
        trackID: String?
    ) {
        self.id = id
        self.status = status
        self.filename = filename
        self.size = size
        self.chunkSize = chunkSize
        self.totalChunks = totalChunks
        self.receivedChunks = receivedChunks
        self.missingChunks = missingChunks
        self.receivedBytes = receivedBytes
        self.expiresAt = expiresAt
        self.trackID = trackID
    }
}

/// `PUT /api/v1/uploads/{id}/chunks/{index}` → 200: what the server stored.
public struct ChunkReceipt: Codable, Sendable, Equatable {
    public var index: Int
    public var size: Int64
    public var sha256: String

    public init(index: Int, size: Int64, sha256: String) {
        self.index = index
        self.size = size
        self.sha256 = sha256
    }
}

/// `POST /api/v1/uploads/{id}/complete` → 201 (200 when repeated): the track made of the upload.
public struct UploadCompleted: Codable, Sendable, Equatable {
    public var track: TrackResource

    public init(track: TrackResource) {
        self.track = track
    }
}
