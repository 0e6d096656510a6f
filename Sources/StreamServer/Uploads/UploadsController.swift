import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import Ingest
import VezaAPI

/// The chunk upload API (`/api/v1/uploads`): create a session, send chunks in any order, ask
/// which are missing, complete into a track, or abort. Only the owner sees an upload.
struct UploadsController {
    let uploads: UploadService

    /// The chunk API, and tus 1.0 under `tus/` (both front ends share one ``UploadService``).
    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("upload/limits") { _, _ in try jsonResponse(self.limits) }
        let uploads = routes.group("uploads").add(middleware: RequireIdentityMiddleware())
        uploads.post(use: self.create)
        uploads.get(":id", use: self.status)
        uploads.put(":id/chunks/:index", use: self.putChunk)
        uploads.post(":id/complete", use: self.complete)
        uploads.delete(":id", use: self.abort)
        routes.addRoutes(TusController(uploads: self.uploads, maxUploadBytes: self.uploads.maxUploadBytes).endpoints)
        return routes
    }

    /// What `create` checks, from the same configuration: clients read it instead of hard-coding.
    var limits: UploadLimits {
        let maxBytes = self.uploads.maxUploadBytes
        return UploadLimits(
            audio: .init(
                maxBytes: maxBytes,
                maxHuman: Self.humanSize(maxBytes),
                allowedTypes: AudioSniffer.formats.map(\.contentType)
            ),
            chunkSize: self.uploads.chunkSize
        )
    }

    /// `100 MiB`, `1.5 GiB`, `512 KiB`: binary units, as `MAX_UPLOAD_AUDIO_MB` counts.
    static func humanSize(_ bytes: Int64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let text = value == value.rounded() ? String(Int64(value)) : String(format: "%.1f", value)
        return "\(text) \(units[unit])"
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let owner = try Self.owner(context)
        let body = try await request.decodeJSON(as: CreateUploadRequest.self)
        let session = try await mappingIngestErrors {
            try await self.uploads.create(
                ownerID: owner,
                UploadService.NewUpload(
                    filename: body.filename,
                    size: body.size,
                    sha256: body.sha256,
                    contentType: body.contentType,
                    title: body.title,
                    visibility: body.visibility
                )
            )
        }
        var response = try jsonResponse(UploadCreated(session), status: .created)
        response.headers[.location] = "/api/v1/uploads/\(session.id.uuidString.lowercased())"
        return response
    }

    @Sendable func status(_ request: Request, context: AppRequestContext) async throws -> Response {
        let owner = try Self.owner(context)
        let id = try Self.uploadID(context)
        let progress = try await mappingIngestErrors { try await self.uploads.progress(uploadID: id, ownerID: owner) }
        return try jsonResponse(UploadState(progress))
    }

    @Sendable func putChunk(_ request: Request, context: AppRequestContext) async throws -> Response {
        let owner = try Self.owner(context)
        let id = try Self.uploadID(context)
        guard let raw = context.parameters.get("index"), let index = Int(raw), index >= 0 else {
            throw APIError.badRequest("the chunk index must be a non-negative integer", code: "invalid_argument")
        }
        // The body streams straight into the spool: a chunk is never collected in memory.
        let chunk = try await mappingIngestErrors {
            try await self.uploads.putChunk(
                uploadID: id,
                ownerID: owner,
                index: index,
                body: request.body,
                checksum: request.headers[Self.chunkChecksumField]
            )
        }
        return try jsonResponse(ChunkReceipt(chunk))
    }

    @Sendable func complete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let owner = try Self.owner(context)
        let id = try Self.uploadID(context)
        // The body is optional: an empty one (as before) declares no digest.
        let body = try await request.decodeJSONIfPresent(as: CompleteUploadRequest.self)
        let completion = try await mappingIngestErrors {
            try await self.uploads.complete(uploadID: id, ownerID: owner, sha256: body?.sha256)
        }
        return try jsonResponse(
            UploadCompleted(track: TrackResource(track: completion.track, query: "")),
            status: completion.created ? .created : .ok
        )
    }

    @Sendable func abort(_ request: Request, context: AppRequestContext) async throws -> Response {
        let owner = try Self.owner(context)
        let id = try Self.uploadID(context)
        try await mappingIngestErrors { try await self.uploads.abort(uploadID: id, ownerID: owner) }
        return Response(status: .noContent)
    }

    static let chunkChecksumField = HTTPField.Name("X-Chunk-SHA256")!

    static func owner(_ context: AppRequestContext) throws -> UUID {
        guard let identity = context.identity else { throw APIError.unauthorized("no identity") }
        return identity.userID
    }

    /// A malformed id is answered like an unknown one.
    static func uploadID(_ context: AppRequestContext) throws -> UUID {
        guard let raw = context.parameters.get("id"), let id = UUID(uuidString: raw) else {
            throw IngestError.notFound.apiError
        }
        return id
    }
}
