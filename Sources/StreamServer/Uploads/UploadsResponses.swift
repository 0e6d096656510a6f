import Catalog
import Foundation
import Hummingbird
import Ingest
import NIOCore
import VezaAPI

extension UploadCreated {
    init(_ session: UploadSession) {
        self.init(
            id: session.id.uuidString.lowercased(),
            chunkSize: session.chunkSize,
            totalChunks: session.totalChunks,
            expiresAt: session.expiresAt
        )
    }
}

extension UploadState {
    init(_ progress: UploadProgress) {
        let session = progress.session
        self.init(
            id: session.id.uuidString.lowercased(),
            status: session.status.rawValue,
            filename: session.filename,
            size: session.declaredSize,
            chunkSize: session.chunkSize,
            totalChunks: session.totalChunks,
            receivedChunks: progress.received,
            missingChunks: progress.missing,
            receivedBytes: progress.receivedBytes,
            expiresAt: session.expiresAt,
            trackID: session.trackID?.uuidString.lowercased()
        )
    }
}

extension ChunkReceipt {
    init(_ chunk: UploadChunk) {
        self.init(index: chunk.index, size: chunk.size, sha256: chunk.sha256)
    }
}

/// A JSON response in the API's one encoding (``APIJSON``).
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try APIJSON.encoder().encode(value)
    return Response(
        status: status,
        headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
        body: .init(byteBuffer: ByteBuffer(bytes: data))
    )
}
