import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SignedURL
import Storage
import VezaAPI

/// The listening side: track metadata, `/stream` (ranges locally, a presigned redirect on S3),
/// downloads, HLS playlists and segments, and the waveform. Every route asks ``TrackAccessPolicy``
/// first; a redirect or a byte is produced only after it allowed.
///
/// `/stream` gives the uploaded original only to those the policy lets have it (owner, admins,
/// download entitlements); every other listener gets `stream.m4a`, the 128 kb/s AAC as one
/// progressive MP4, with the same range, validator and redirect behaviour.
struct TracksController: Sendable {
    let tracks: TrackRepository
    let store: any ObjectStore
    let policy: TrackAccessPolicy
    let shareTokens: ShareToken
    let streamURLTTL: Duration
    let downloadURLTTL: Duration
    /// `SHARE_MAX_TTL`: the longest lifetime ``createShare(_:_:)`` gives a link.
    var shareMaxTTL: Duration = .seconds(30 * 86400)
    /// `Access-Control-Allow-Origin` for browser players.
    let allowedOrigin: String
    /// Track rows at most a second old for the access check every request makes.
    var trackRows = TrackRowCache()

    /// Whether `key` is served by the store itself (a presigned redirect) rather than from a local
    /// file: the store says so (``ObjectStore/localPath(for:)`` is nil on S3).
    func redirects(_ key: String) throws -> Bool {
        try self.store.localPath(for: key) == nil
    }

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get(":id") { request, context in try await self.metadata(request, context) }
        routes.get(":id/stream") { request, context in try await self.stream(request, context, purpose: .listen) }
        routes.head(":id/stream") { request, context in try await self.stream(request, context, purpose: .listen) }
        routes.get(":id/download") { request, context in try await self.stream(request, context, purpose: .download) }
        routes.head(":id/download") { request, context in try await self.stream(request, context, purpose: .download) }
        routes.get(":id/hls/master.m3u8") { request, context in try await self.masterPlaylist(request, context) }
        routes.get(":id/hls/:rendition/index.m3u8") { request, context in try await self.mediaPlaylist(request, context)
        }
        routes.get(":id/hls/:rendition/:segment") { request, context in try await self.segment(request, context) }
        routes.head(":id/hls/:rendition/:segment") { request, context in try await self.segment(request, context) }
        routes.get(":id/waveform.json") { request, context in try await self.waveform(request, context) }
        routes.post(":id/share") { request, context in try await self.createShare(request, context) }
        return routes
    }

    /// The track, if the caller may use it for `purpose`; the `?share=` query to carry on URLs; and,
    /// when the caller's access may come from a share token (not the owner or an admin), when that
    /// token expires: no presigned URL handed out may outlive it.
    func authorize(
        _ request: Request,
        _ context: AppRequestContext,
        purpose: TrackAccessPolicy.Purpose
    ) async throws -> (Track, shareQuery: String, shareExpires: Date?) {
        let notFound = APIError.notFound("no such track")
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw notFound }
        let tracks = self.tracks
        guard let track = try await self.trackRows.track(id: id, load: { try await tracks.find(id: id) }) else {
            throw notFound
        }
        let token = request.uri.queryParameters["share"].map(String.init)
        let check = token.map { self.shareTokens.verify($0, subject: track.id.uuidString.lowercased(), now: Date()) }
        switch await self.policy.decide(track: track, identity: context.identity, shareToken: check, purpose: purpose) {
        case .allow:
            var query = ""
            var shareExpires: Date? = nil
            if let token, case .valid(_, let expires) = check {
                let privileged = context.identity.map { $0.isAdmin || $0.userID == track.ownerID } ?? false
                if !privileged { shareExpires = expires }
                query =
                    "?share="
                    + (token.addingPercentEncoding(
                        withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "+", "="])
                    ) ?? token)
            }
            return (track, query, shareExpires)
        case .hide:
            throw notFound
        case .forbid(let message):
            throw APIError.forbidden(message)
        }
    }

    func metadata(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (track, query, _) = try await self.authorize(request, context, purpose: .listen)
        var response = try jsonResponse(TrackResource(track: track, query: query))
        response.headers[.cacheControl] = "private, no-cache"
        return response
    }

    /// CORS for browser players (hls.js, `<audio>`): ranges and validators may be sent, and the
    /// headers a player reads are exposed.
    func corsHeaders() -> HTTPFields {
        var headers: HTTPFields = [:]
        headers[.accessControlAllowOrigin] = self.allowedOrigin
        headers[.accessControlExposeHeaders] = "Content-Range, Content-Length, Accept-Ranges, ETag"
        if self.allowedOrigin != "*" { headers[.vary] = "Origin" }
        return headers
    }

    func stream(
        _ request: Request,
        _ context: AppRequestContext,
        purpose: TrackAccessPolicy.Purpose
    ) async throws -> Response {
        let (track, _, shareExpires) = try await self.authorize(request, context, purpose: purpose)
        var original = purpose == .download
        if !original { original = await self.policy.mayHaveOriginal(track: track, identity: context.identity) }
        var headers = self.streamHeaders()
        guard let (key, contentType, entityTag) = Self.streamObject(track, original: original) else {
            throw APIError(
                .conflict,
                code: "stream_unavailable",
                message: "the track has no stream.m4a yet (transcoded before it existed); an admin can re-transcode it"
            )
        }
        let disposition =
            purpose == .download
            ? ContentDisposition(title: track.title, fileExtension: (track.storageKey as NSString).pathExtension)
                .headerValue : nil
        if try self.redirects(key) {
            return Response(
                status: .found,
                headers: try self.redirectHeaders(
                    headers,
                    method: request.method,
                    key: key,
                    lifetime: purpose == .download ? self.downloadURLTTL : self.streamURLTTL,
                    shareExpires: shareExpires,
                    disposition: disposition
                )
            )
        }
        guard let object = try await ObjectResponder.open(key, in: self.store, for: request, entityTag: entityTag)
        else {
            throw APIError(
                .conflict,
                code: "source_missing",
                message: original
                    ? "the track's stored file is missing; the owner must upload it again"
                    : "the track's stream.m4a is missing; an admin can re-transcode it"
            )
        }
        headers[.cacheControl] = Self.streamCacheControl(track, original: original)
        if let disposition { headers[.contentDisposition] = disposition }
        return try await ObjectResponder().respond(
            to: request,
            representation: .init(
                object: object,
                size: object.info.size,
                entityTag: entityTag ?? object.info.etag,
                lastModified: object.info.lastModified,
                contentType: contentType,
                headers: headers
            )
        )
    }
}

extension TracksController {
    /// What every `/stream` and `/download` answer carries: CORS, and `Vary: Authorization`, as the
    /// same URL answers the original or stream.m4a depending on who asks.
    func streamHeaders() -> HTTPFields {
        var headers = self.corsHeaders()
        headers[.vary] = headers[.vary].map { $0 + ", Authorization" } ?? "Authorization"
        return headers
    }

    /// `headers` with a presigned `Location` for `key` (a GET, or a HEAD for a HEAD), valid for
    /// `lifetime` but never past `shareExpires`, and `Cache-Control: private, no-store`.
    func redirectHeaders(
        _ headers: HTTPFields,
        method: HTTPRequest.Method,
        key: String,
        lifetime: Duration,
        shareExpires: Date?,
        disposition: String?
    ) throws -> HTTPFields {
        let now = Date()
        var headers = headers
        headers[.location] = try self.store.signedURL(
            method: method == .head ? .head : .get,
            key: key,
            expires: Self.presignedLifetime(lifetime, shareExpires: shareExpires, now: now),
            responseContentDisposition: disposition,
            date: now
        )
        headers[.cacheControl] = "private, no-store"
        return headers
    }

    /// The original is never for a shared cache; stream.m4a of a public track is.
    static func streamCacheControl(_ track: Track, original: Bool) -> String {
        !original && track.visibility == .public && track.status == .ready
            ? "public, max-age=3600" : "private, no-cache"
    }

    /// The object `/stream` serves this caller, its content type, and the validator to answer with
    /// (the original's SHA-256; nil: the store's ETag). Nil when stream.m4a is wanted but missing.
    static func streamObject(_ track: Track, original: Bool) -> (key: String, contentType: String, entityTag: String?)?
    {
        if original { return (track.storageKey, track.contentType, track.sha256.isEmpty ? nil : track.sha256) }
        guard let streamKey = track.streamKey else { return nil }
        return (streamKey, "audio/mp4", nil)
    }
}
