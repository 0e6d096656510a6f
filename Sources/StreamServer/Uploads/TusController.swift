import Foundation
import HTTPTypes
import Hummingbird
import Ingest
import NIOCore

/// tus 1.0 (https://tus.io/protocols/resumable-upload) at `/api/v1/tus/`: core, creation,
/// creation-with-upload, checksum (sha1, sha256; 460 on mismatch), termination and expiration.
///
/// A tus upload is an ordinary upload session: the bytes are cut into the session's chunks, and the
/// `PATCH` that delivers the last byte completes it into a track (its id in `Veza-Track-ID`).
struct TusController {
    let uploads: UploadService
    let maxUploadBytes: Int64

    static let version = "1.0.0"
    static let extensions = "creation,creation-with-upload,checksum,termination,expiration"
    static let offsetContentType = "application/offset+octet-stream"

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.add(middleware: TusHeadersMiddleware())
        routes.on("tus", method: .options, use: self.options)
        routes.on("tus/:id", method: .options, use: self.options)
        let guarded = routes.group().add(middleware: RequireIdentityMiddleware())
        guarded.post("tus", use: self.create)
        guarded.head("tus/:id", use: self.head)
        guarded.patch("tus/:id", use: self.patch)
        guarded.delete("tus/:id", use: self.terminate)
        return routes
    }

    @Sendable func options(_ request: Request, context: AppRequestContext) async throws -> Response {
        Response(
            status: .noContent,
            headers: [
                TusField.version: Self.version,
                TusField.extensions: Self.extensions,
                TusField.maxSize: String(self.maxUploadBytes),
                TusField.checksumAlgorithm: "sha1,sha256",
            ]
        )
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let owner = try UploadsController.owner(context)
        if request.headers[TusField.deferLength] != nil {
            throw APIError.badRequest(
                "Upload-Defer-Length is not supported: send Upload-Length",
                code: "invalid_argument"
            )
        }
        guard let raw = request.headers[TusField.length], let length = Int64(raw), length >= 0 else {
            throw APIError.badRequest("Upload-Length must be a non-negative integer", code: "invalid_argument")
        }
        let metadata = try TusMetadata(request.headers[TusField.metadata] ?? "")
        let session = try await mappingIngestErrors {
            try await self.uploads.create(
                ownerID: owner,
                .init(
                    filename: metadata["filename"] ?? metadata["name"] ?? "upload",
                    size: length,
                    sha256: metadata["sha256"],
                    contentType: metadata["filetype"] ?? metadata["content_type"],
                    title: metadata["title"],
                    visibility: metadata["visibility"]
                )
            )
        }
        var headers: HTTPFields = [
            .location: "/api/v1/tus/\(session.id.uuidString.lowercased())",
            TusField.expires: HTTPDate(secondsSince1970: Int64(session.expiresAt.timeIntervalSince1970)).imfFixdate,
        ]
        // creation-with-upload: the body, if any, is the first stretch of bytes.
        if request.headers[.contentType] == Self.offsetContentType {
            let result = try await self.append(request, owner: owner, id: session.id, offset: 0)
            headers[TusField.offset] = String(result.offset)
            if let track = result.trackID { headers[TusField.trackID] = track }
        }
        return Response(status: .created, headers: headers)
    }

    @Sendable func head(_ request: Request, context: AppRequestContext) async throws -> Response {
        let owner = try UploadsController.owner(context)
        let id = try UploadsController.uploadID(context)
        let (session, offset) = try await mappingIngestErrors {
            try await self.uploads.offset(uploadID: id, ownerID: owner)
        }
        guard session.status == .receiving || session.status == .completed || session.status == .assembling else {
            throw IngestError.gone.apiError
        }
        var headers: HTTPFields = [
            TusField.offset: String(session.status == .completed ? session.declaredSize : offset),
            TusField.length: String(session.declaredSize),
            .cacheControl: "no-store",
            TusField.expires: HTTPDate(secondsSince1970: Int64(session.expiresAt.timeIntervalSince1970)).imfFixdate,
        ]
        if let track = session.trackID { headers[TusField.trackID] = track.uuidString.lowercased() }
        return Response(status: .ok, headers: headers)
    }

    @Sendable func patch(_ request: Request, context: AppRequestContext) async throws -> Response {
        let owner = try UploadsController.owner(context)
        let id = try UploadsController.uploadID(context)
        guard request.headers[.contentType] == Self.offsetContentType else {
            throw APIError(
                .unsupportedMediaType,
                code: "unsupported_media_type",
                message: "a PATCH body must be sent as \(Self.offsetContentType)"
            )
        }
        guard let raw = request.headers[TusField.offset], let offset = Int64(raw), offset >= 0 else {
            throw APIError.badRequest("Upload-Offset must be a non-negative integer", code: "invalid_argument")
        }
        let result = try await self.append(request, owner: owner, id: id, offset: offset)
        var headers: HTTPFields = [
            TusField.offset: String(result.offset),
            TusField.expires: HTTPDate(secondsSince1970: Int64(result.expiresAt.timeIntervalSince1970)).imfFixdate,
        ]
        if let track = result.trackID { headers[TusField.trackID] = track }
        return Response(status: .noContent, headers: headers)
    }

    @Sendable func terminate(_ request: Request, context: AppRequestContext) async throws -> Response {
        let owner = try UploadsController.owner(context)
        let id = try UploadsController.uploadID(context)
        try await mappingIngestErrors { try await self.uploads.abort(uploadID: id, ownerID: owner) }
        return Response(status: .noContent)
    }

    /// Appends the request body; once the last byte is in, completes the upload into a track.
    private func append(
        _ request: Request,
        owner: UUID,
        id: UUID,
        offset: Int64
    ) async throws -> (offset: Int64, trackID: String?, expiresAt: Date) {
        let checksum = try request.headers[TusField.checksum].map(Self.parseChecksum)
        let newOffset = try await mappingIngestErrors {
            try await self.uploads.append(
                uploadID: id,
                ownerID: owner,
                offset: offset,
                declaredLength: request.headers[.contentLength].flatMap { Int64($0) },
                body: request.body,
                checksum: checksum
            )
        }
        let (session, _) = try await mappingIngestErrors { try await self.uploads.offset(uploadID: id, ownerID: owner) }
        guard newOffset == session.declaredSize else { return (newOffset, nil, session.expiresAt) }
        let completion = try await mappingIngestErrors { try await self.uploads.complete(uploadID: id, ownerID: owner) }
        return (newOffset, completion.track.id.uuidString.lowercased(), session.expiresAt)
    }

    /// `Upload-Checksum: <algorithm> <base64 digest>`.
    static func parseChecksum(_ value: String) throws -> SegmentChecksum {
        let parts = value.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2, let digest = Data(base64Encoded: parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw APIError.badRequest("Upload-Checksum must be '<algorithm> <base64 digest>'", code: "invalid_argument")
        }
        switch parts[0].lowercased() {
        case "sha1" where digest.count == 20: return .sha1(Array(digest))
        case "sha256" where digest.count == 32: return .sha256(Array(digest))
        case "sha1", "sha256":
            throw APIError.badRequest("the Upload-Checksum digest has the wrong length", code: "invalid_argument")
        default:
            throw APIError.badRequest("Upload-Checksum supports sha1 and sha256", code: "unsupported_checksum")
        }
    }
}

/// The tus header names.
enum TusField {
    static let resumable = HTTPField.Name("Tus-Resumable")!
    static let version = HTTPField.Name("Tus-Version")!
    static let extensions = HTTPField.Name("Tus-Extension")!
    static let maxSize = HTTPField.Name("Tus-Max-Size")!
    static let checksumAlgorithm = HTTPField.Name("Tus-Checksum-Algorithm")!
    static let length = HTTPField.Name("Upload-Length")!
    static let deferLength = HTTPField.Name("Upload-Defer-Length")!
    static let offset = HTTPField.Name("Upload-Offset")!
    static let metadata = HTTPField.Name("Upload-Metadata")!
    static let checksum = HTTPField.Name("Upload-Checksum")!
    static let expires = HTTPField.Name("Upload-Expires")!
    static let trackID = HTTPField.Name("Veza-Track-ID")!
}
