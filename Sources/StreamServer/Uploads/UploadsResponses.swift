import Catalog
import Foundation
import Hummingbird
import Ingest
import NIOCore

/// `POST /uploads` → 201.
struct CreateUploadResponse: Encodable {
    let id: String
    let chunkSize: Int64
    let totalChunks: Int
    let expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case id
        case chunkSize = "chunk_size"
        case totalChunks = "total_chunks"
        case expiresAt = "expires_at"
    }

    init(_ session: UploadSession) {
        self.id = session.id.uuidString.lowercased()
        self.chunkSize = session.chunkSize
        self.totalChunks = session.totalChunks
        self.expiresAt = session.expiresAt
    }
}

/// `GET /uploads/{id}`.
struct UploadStatusResponse: Encodable {
    let id: String
    let status: String
    let filename: String
    let size: Int64
    let chunkSize: Int64
    let totalChunks: Int
    let receivedChunks: [Int]
    let missingChunks: [Int]
    let receivedBytes: Int64
    let expiresAt: Date
    let trackID: String?

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

    init(_ progress: UploadProgress) {
        let session = progress.session
        self.id = session.id.uuidString.lowercased()
        self.status = session.status.rawValue
        self.filename = session.filename
        self.size = session.declaredSize
        self.chunkSize = session.chunkSize
        self.totalChunks = session.totalChunks
        self.receivedChunks = progress.received
        self.missingChunks = progress.missing
        self.receivedBytes = progress.receivedBytes
        self.expiresAt = session.expiresAt
        self.trackID = session.trackID?.uuidString.lowercased()
    }
}

/// `PUT /uploads/{id}/chunks/{index}` → 200.
struct ChunkResponse: Encodable {
    let index: Int
    let size: Int64
    let sha256: String

    init(_ chunk: UploadChunk) {
        self.index = chunk.index
        self.size = chunk.size
        self.sha256 = chunk.sha256
    }
}

/// `POST /uploads/{id}/complete` → 201, or 200 when repeated.
struct CompleteUploadResponse: Encodable {
    let track: Track
}

/// A JSON response with ISO 8601 dates.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    let data = try encoder.encode(value)
    return Response(
        status: status,
        headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
        body: .init(byteBuffer: ByteBuffer(bytes: data))
    )
}
