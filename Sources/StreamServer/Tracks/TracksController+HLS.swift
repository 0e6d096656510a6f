import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Storage

extension TracksController {
    static let playlistType = "application/vnd.apple.mpegurl"

    /// The track's current HLS prefix, once it is ready.
    func hlsPrefix(of track: Track) throws -> String {
        guard track.status == .ready, let prefix = track.hlsPrefix else {
            throw APIError(
                .conflict,
                code: "not_ready",
                message: "the track is \(track.status.rawValue); HLS is served once it is ready"
            )
        }
        return prefix
    }

    /// A path segment of the HLS tree, checked: no traversal out of the track's prefix.
    func hlsName(_ context: AppRequestContext, _ name: String) throws -> String {
        guard let value = context.parameters.get(name), Self.isHLSName(value[...]) else {
            throw APIError.notFound("no such rendition or segment")
        }
        return value
    }

    /// Whether `value` may name a rendition directory or a file of the HLS tree: letters, digits,
    /// `_-.`, not starting with a dot (no traversal, no hidden files).
    static func isHLSName(_ value: Substring) -> Bool {
        !value.isEmpty && !value.hasPrefix(".")
            && value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) })
    }

    func masterPlaylist(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (track, query, _) = try await self.authorize(request, context, purpose: .listen)
        var text = try await self.playlistText(try self.hlsPrefix(of: track) + "master.m3u8")
        let hasHiFi = Self.variantURIs(in: text).contains { Self.isHiFiURI($0) }
        if hasHiFi, !(await self.policy.mayHearHiFi(track: track, identity: context.identity)) {
            text = Self.removingHiFiVariants(from: text)
        }
        // Variant URIs are relative (`aac_128k/index.m3u8`) and resolve to our media playlist
        // route; only a share token needs carrying on.
        var response = self.playlistResponse(request, track: track, text: Self.appendingQuery(query, toURIsIn: text))
        if hasHiFi {
            // The variants listed depend on the caller's plan: no shared cache may keep one answer.
            response.headers[.cacheControl] = "private, max-age=60"
            response.headers[.vary] = (response.headers[.vary] ?? "Accept-Encoding") + ", Authorization"
        }
        return response
    }

    /// Refuses a hi-fi rendition's playlist and segments to callers without the `hifi` feature.
    func requireHiFiIfNeeded(_ track: Track, _ context: AppRequestContext, rendition: String) async throws {
        guard TrackAccessPolicy.isHiFi(rendition: rendition) else { return }
        guard await self.policy.mayHearHiFi(track: track, identity: context.identity) else {
            throw APIError(
                .forbidden,
                code: "plan_required",
                message: "the \(rendition) rendition needs a plan with hi-fi (Premium)"
            )
        }
    }

    static func isHiFiURI(_ uri: String) -> Bool {
        TrackAccessPolicy.isHiFi(rendition: String(uri.split(separator: "/").first ?? ""))
    }

    /// The URI lines after each `#EXT-X-STREAM-INF`.
    static func variantURIs(in text: String) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return lines.indices.dropFirst().filter { lines[$0 - 1].hasPrefix("#EXT-X-STREAM-INF") }.map { lines[$0] }
    }

    /// The master playlist without its hi-fi variants (each an `#EXT-X-STREAM-INF` and its URI).
    static func removingHiFiVariants(from text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        while index + 1 < lines.count {
            if lines[index].hasPrefix("#EXT-X-STREAM-INF"), Self.isHiFiURI(lines[index + 1]) {
                lines.removeSubrange(index...(index + 1))
            } else {
                index += 1
            }
        }
        return lines.joined(separator: "\n")
    }

    func mediaPlaylist(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (track, query, shareExpires) = try await self.authorize(request, context, purpose: .listen)
        let rendition = try self.hlsName(context, "rendition")
        try await self.requireHiFiIfNeeded(track, context, rendition: rendition)
        let prefix = try self.hlsPrefix(of: track) + rendition + "/"
        let text = try await self.playlistText(prefix + "index.m3u8")
        let rewritten: String
        if try self.redirects(prefix + "index.m3u8") {
            // Players fetch segments straight from the store: one presigned URL per segment, valid
            // long enough to play the whole track through, with margin, but never past a share
            // token the caller's access comes from.
            let seconds = max(3600, Int((Double(track.durationMs ?? 0) / 1000) * 2) + 900)
            let now = Date()
            let lifetime = Self.presignedLifetime(.seconds(min(seconds, 604_800)), shareExpires: shareExpires, now: now)
            rewritten = try Self.rewritingURIs(in: text) { uri in
                try self.store.signedURL(
                    method: .get,
                    key: prefix + uri,
                    expires: lifetime,
                    responseContentDisposition: nil,
                    date: now
                )
            }
        } else {
            rewritten = Self.appendingQuery(query, toURIsIn: text)
        }
        return self.playlistResponse(request, track: track, text: rewritten)
    }

    func segment(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (track, _, shareExpires) = try await self.authorize(request, context, purpose: .listen)
        let rendition = try self.hlsName(context, "rendition")
        try await self.requireHiFiIfNeeded(track, context, rendition: rendition)
        let key = try self.hlsPrefix(of: track) + rendition + "/" + self.hlsName(context, "segment")
        var headers = self.corsHeaders()
        if try self.redirects(key) {
            return Response(
                status: .found,
                headers: try self.redirectHeaders(
                    headers,
                    method: request.method,
                    key: key,
                    lifetime: self.streamURLTTL,
                    shareExpires: shareExpires,
                    disposition: nil
                )
            )
        }
        guard let object = try await ObjectResponder.open(key, in: self.store, for: request, entityTag: nil) else {
            throw APIError.notFound("no such segment")
        }
        headers[.cacheControl] = Self.segmentCacheControl(track, rendition: rendition)
        return try await ObjectResponder().respond(
            to: request,
            representation: .init(
                object: object,
                size: object.info.size,
                entityTag: object.info.etag,
                lastModified: object.info.lastModified,
                contentType: Self.segmentContentType(key),
                headers: headers
            )
        )
    }

    /// Segments never change under a given prefix: a re-transcode writes a new prefix.
    /// Hi-fi segments are per plan: a shared cache must not hand them to others.
    static func segmentCacheControl(_ track: Track, rendition: String) -> String {
        track.visibility == .public && !TrackAccessPolicy.isHiFi(rendition: rendition)
            ? "public, max-age=31536000, immutable" : "private, max-age=31536000, immutable"
    }

    static func segmentContentType(_ key: String) -> String {
        key.hasSuffix(".m4s") ? "video/iso.segment" : "audio/mp4"
    }

    func waveform(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (track, _, _) = try await self.authorize(request, context, purpose: .listen)
        _ = try self.hlsPrefix(of: track)
        guard let key = track.waveformKey else { throw APIError.notFound("no waveform") }
        let object = try await self.store.get(key: key)
        var headers = self.corsHeaders()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = track.visibility == .public ? "public, max-age=86400" : "private, max-age=86400"
        return Response(status: .ok, headers: headers, body: ResponseBody(asyncSequence: object.body))
    }

    func playlistText(_ key: String) async throws -> String {
        do {
            let buffer = try await self.store.get(key: key).body.collect(upTo: 4 * 1024 * 1024)
            return String(buffer: buffer)
        } catch let error as StorageError where error == .noSuchKey {
            throw APIError.notFound("no such playlist")
        }
    }

    /// Playlists change only with a re-transcode: cache briefly (S3 media playlists carry
    /// presigned URLs, so they are private), and gzip them when the player accepts it: a long
    /// track's media playlist of presigned URLs shrinks several times.
    func playlistResponse(_ request: Request, track: Track, text: String) -> Response {
        var headers = self.corsHeaders()
        headers[.contentType] = Self.playlistType
        headers[.cacheControl] =
            (try? self.redirects(self.hlsPrefix(of: track) + "master.m3u8")) == false && track.visibility == .public
            ? "public, max-age=60" : "private, max-age=60"
        headers[.vary] = headers[.vary].map { $0 + ", Accept-Encoding" } ?? "Accept-Encoding"
        var body = ByteBuffer(string: text)
        if Gzip.isAccepted(request.headers[.acceptEncoding]), let compressed = Gzip.compress(Array(text.utf8)) {
            headers[.contentEncoding] = "gzip"
            body = ByteBuffer(bytes: compressed)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// Rewrites every URI of a playlist: plain lines and `URI="…"` attributes (`EXT-X-MAP`).
    static func rewritingURIs(in text: String, _ transform: (String) throws -> String) rethrows -> String {
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(line)
            if line.isEmpty {
                lines.append(line)
            } else if line.hasPrefix("#") {
                if let start = line.range(of: "URI=\""), let end = line[start.upperBound...].firstIndex(of: "\"") {
                    let uri = String(line[start.upperBound..<end])
                    lines.append(String(line[..<start.upperBound]) + (try transform(uri)) + String(line[end...]))
                } else {
                    lines.append(line)
                }
            } else {
                lines.append(try transform(line))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func appendingQuery(_ query: String, toURIsIn text: String) -> String {
        guard !query.isEmpty else { return text }
        return Self.rewritingURIs(in: text) { $0 + query }
    }
}
