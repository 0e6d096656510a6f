import Catalog
import Database
import Foundation
import Hummingbird
import VezaAPI

/// An owner's library and a user's public page: `GET /me/tracks`, `GET /users/{id}/tracks`,
/// `PATCH /tracks/{id}` (title, visibility) and `DELETE /tracks/{id}`.
///
/// Editing and deleting are for the owner and admins; anyone else gets the 404 of an unknown id,
/// so the routes do not tell who owns what. A deletion marks the track deleted and queues a
/// `track.cleanup` job in one transaction: from the 204 on, no route serves the track, and the job
/// removes its objects (retried until the store answers), then the row.
struct TrackLibraryController: Sendable {
    let database: DatabaseClient
    let tracks: TrackRepository
    let jobs: JobQueue
    let cleanupMaxAttempts: Int
    /// The listening routes' rows, told at once when a track is edited or deleted here.
    var trackRows: TrackRowCache? = nil

    static let defaultPageSize = 20
    static let pageSizes = 1...100
    /// As for an upload's title.
    static let maxTitleLength = 300

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("users/:id/tracks") { request, context in try await self.userTracks(request, context) }
        let owned = routes.group().add(middleware: RequireIdentityMiddleware())
        owned.get("me/tracks") { request, context in try await self.myTracks(request, context) }
        owned.patch("tracks/:id") { request, context in try await self.update(request, context) }
        owned.delete("tracks/:id") { request, context in try await self.delete(request, context) }
        return routes
    }

    func myTracks(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let identity = context.identity else { throw APIError.unauthorized("no identity") }
        return try await self.list(request, owner: identity.userID, scope: .all)
    }

    func userTracks(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let owner = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw APIError.notFound("no such user")
        }
        return try await self.list(request, owner: owner, scope: .publicReady)
    }

    func list(_ request: Request, owner: UUID, scope: TrackRepository.ListingScope) async throws -> Response {
        let query = request.uri.queryParameters
        var limit = Self.defaultPageSize
        if let raw = query["limit"] {
            guard let value = Int(String(raw)), Self.pageSizes.contains(value) else {
                throw APIError.badRequest(
                    "'limit' must be an integer from \(Self.pageSizes.lowerBound) to \(Self.pageSizes.upperBound)",
                    code: "invalid_argument"
                )
            }
            limit = value
        }
        var cursor: TrackPageCursor? = nil
        if let raw = query["cursor"], !raw.isEmpty {
            guard let parsed = TrackPageCursor(raw) else {
                throw APIError.badRequest(
                    "'cursor' must be a next_cursor from a previous page",
                    code: "invalid_cursor"
                )
            }
            cursor = parsed
        }
        let page = try await self.tracks.page(ownerID: owner, scope: scope, after: cursor, limit: limit)
        var response = try jsonResponse(
            TrackList(
                tracks: page.tracks.map { TrackResource(track: $0, query: "") },
                nextCursor: page.next?.description
            )
        )
        response.headers[.cacheControl] = "private, no-cache"
        return response
    }

    /// The track, if the caller may edit it; otherwise the 404 of an unknown track.
    func editableTrack(_ context: AppRequestContext) async throws -> Track {
        let notFound = APIError.notFound("no such track")
        guard let identity = context.identity,
            let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let track = try await self.tracks.find(id: id),
            track.ownerID == identity.userID || identity.isAdmin
        else { throw notFound }
        return track
    }

    func update(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let track = try await self.editableTrack(context)
        let body = try await request.decodeJSON(as: UpdateTrackRequest.self)
        let invalid = { (message: String) in APIError.badRequest(message, code: "invalid_argument") }
        guard body.title != nil || body.visibility != nil else {
            throw invalid("send 'title', 'visibility' or both")
        }
        var title: String? = nil
        if let raw = body.title {
            let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw invalid("'title' must not be empty") }
            guard trimmed.count <= Self.maxTitleLength else {
                throw invalid("'title' must be at most \(Self.maxTitleLength) characters")
            }
            title = trimmed
        }
        var visibility: TrackVisibility? = nil
        if let raw = body.visibility {
            guard let value = TrackVisibility(rawValue: raw) else {
                throw invalid(
                    "'visibility' must be one of \(TrackVisibility.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            visibility = value
        }
        guard let updated = try await self.tracks.updateDetails(track.id, title: title, visibility: visibility) else {
            throw APIError.notFound("no such track")
        }
        self.trackRows?.invalidate(track.id)
        return try jsonResponse(TrackResource(track: updated, query: ""))
    }

    func delete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let track = try await self.editableTrack(context)
        let tracks = self.tracks
        let jobs = self.jobs
        let maxAttempts = self.cleanupMaxAttempts
        try await self.database.transaction { connection in
            do {
                try await tracks.apply(.deletionRequested, to: track.id, on: connection)
            } catch let error as TrackError where error == .notFound || error.isInvalidTransition {
                // Deleted by a concurrent request between our read and our write.
                throw APIError.notFound("no such track")
            }
            _ = try await jobs.enqueue(
                queue: TrackCleanupJobPayload.queue,
                payload: TrackCleanupJobPayload(trackID: track.id),
                maxAttempts: maxAttempts,
                on: connection
            )
        }
        self.trackRows?.invalidate(track.id)
        context.logger.info("track deleted", metadata: ["track.id": "\(track.id.uuidString.lowercased())"])
        return Response(status: .noContent)
    }
}
