import Catalog
import Foundation
import HTTPTypes
import NIOCore
import Storage
import Synchronization

/// The listener's fast path: answers a `GET`/`HEAD` of `/api/v1/tracks/{id}/stream` or of an HLS
/// segment on the event loop that read it, without the router, a task or a thread hop, when
/// everything the answer needs is at hand:
///
/// - the track row is in ``TrackRowCache`` (read within its lifetime, 1 s),
/// - the caller is anonymous or sends a bearer token verified within ``AccessTokens/verifiedLifetime``,
/// - ``TrackAccessPolicy`` decides without an entitlement or plan lookup (anonymous callers,
///   owners, admins),
/// - the request has no query (no share token), and
/// - the store redirects (S3: the 302 to a presigned URL), or it has the body at once
///   (``ImmediateReads``: local files) and the answer is a 200, a single-range 206 or a 304.
///
/// Anything else returns nil and takes the routed path, which answers every case (and fills the
/// caches the next request finds here). The access check still runs on every request, on the
/// same cached row and with the same policy functions as the routed path; the headers come from the
/// same functions too, so both paths give the same answer (`ImmediateStreamTests` compares them).
struct ImmediateStreamResponder: Sendable {
    /// An answer, ready to write.
    struct Answer {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        /// The body's range of the object and its bytes (the receiver closes a file it holds).
        var body: (range: ClosedRange<Int64>, bytes: ImmediateBody)?
        /// The route as the request metrics name it.
        var route: String
    }

    let listening: TracksController
    let tokens: AccessTokens
    /// The store's immediate reads, if it has them (local files; S3 redirects instead).
    let files: (any ImmediateReads)?
    /// How many requests this responder answered.
    let answered: ImmediateAnswerCount

    static let tracksPrefix = "/api/v1/tracks/"
    static let streamRoute = "/api/v1/tracks/{id}/stream"
    static let segmentRoute = "/api/v1/tracks/{id}/hls/{rendition}/{segment}"

    init(listening: TracksController, tokens: AccessTokens, answered: ImmediateAnswerCount) {
        self.listening = listening
        self.tokens = tokens
        self.files = listening.store as? any ImmediateReads
        self.answered = answered
    }

    /// What `request` asks for, if it is one the fast path may answer (a cheap look at its method
    /// and path, before its end has arrived); nil otherwise.
    func target(of request: HTTPRequest) -> Target? {
        guard request.method == .get || request.method == .head else { return nil }
        return Target(request.path)
    }

    /// The answer to `request` for `target` (its ``target(of:)``), or nil when the routed path
    /// must answer it.
    func answer(_ request: HTTPRequest, target: Target, now: Date = Date()) -> Answer? {
        let identity: Identity?
        if let authorization = request.headerFields[.authorization] {
            guard let token = BearerAuthMiddleware.bearerToken(in: authorization),
                let verified = self.tokens.recentlyVerifiedIdentity(token, now: now)
            else { return nil }
            identity = verified
        } else {
            identity = nil
        }
        guard let track = self.listening.trackRows.cachedTrack(id: target.trackID),
            TrackAccessPolicy.decisionWithoutLookups(
                track: track,
                identity: identity,
                shareToken: nil,
                purpose: .listen
            )
                == .allow
        else { return nil }
        let answer: Answer?
        switch target.resource {
        case .stream:
            answer = self.stream(request, track: track, identity: identity)
        case .segment(let rendition, let segment):
            answer = self.segment(request, track: track, identity: identity, rendition: rendition, segment: segment)
        }
        if answer != nil { self.answered.value.add(1, ordering: .relaxed) }
        return answer
    }

    func stream(_ request: HTTPRequest, track: Track, identity: Identity?) -> Answer? {
        guard let original = TrackAccessPolicy.rightWithoutLookups(track: track, identity: identity),
            let (key, contentType, entityTag) = TracksController.streamObject(track, original: original)
        else { return nil }
        var headers = self.listening.streamHeaders()
        if let redirect = self.redirect(request, key: key, headers: headers, route: Self.streamRoute) {
            return redirect
        }
        headers[.cacheControl] = TracksController.streamCacheControl(track, original: original)
        return self.object(
            request,
            key: key,
            entityTag: entityTag,
            contentType: contentType,
            headers: headers,
            route: Self.streamRoute
        )
    }

    func segment(
        _ request: HTTPRequest,
        track: Track,
        identity: Identity?,
        rendition: String,
        segment: String
    )
        -> Answer?
    {
        guard let prefix = try? self.listening.hlsPrefix(of: track) else { return nil }
        if TrackAccessPolicy.isHiFi(rendition: rendition) {
            guard TrackAccessPolicy.rightWithoutLookups(track: track, identity: identity) == true else { return nil }
        }
        let key = prefix + rendition + "/" + segment
        var headers = self.listening.corsHeaders()
        if let redirect = self.redirect(request, key: key, headers: headers, route: Self.segmentRoute) {
            return redirect
        }
        headers[.cacheControl] = TracksController.segmentCacheControl(track, rendition: rendition)
        return self.object(
            request,
            key: key,
            entityTag: nil,
            contentType: TracksController.segmentContentType(key),
            headers: headers,
            route: Self.segmentRoute
        )
    }

    /// The routed path's 302 to a presigned URL of `key`, when the store serves it itself.
    func redirect(_ request: HTTPRequest, key: String, headers: HTTPFields, route: String) -> Answer? {
        // A store with immediate reads serves its own bytes (and checking costs a path per request).
        guard self.files == nil, (try? self.listening.redirects(key)) == true,
            let headers = try? self.listening.redirectHeaders(
                headers,
                method: request.method,
                key: key,
                lifetime: self.listening.streamURLTTL,
                shareExpires: nil,
                disposition: nil
            )
        else { return nil }
        return Answer(status: .found, headers: headers, body: nil, route: route)
    }

    /// What ``ObjectResponder`` answers for `key`, when it is a 200, a single-range 206 or a 304
    /// whose body the store read at once; nil otherwise.
    func object(
        _ request: HTTPRequest,
        key: String,
        entityTag: String?,
        contentType: String,
        headers: HTTPFields,
        route: String
    ) -> Answer? {
        guard let files = self.files else { return nil }
        let ask = ObjectResponder.Ask(method: request.method, headers: request.headerFields)
        let read: ImmediateRead?
        do {
            read = try files.readNow(key: key) { info in
                ask.bodyRange(size: info.size, entityTag: entityTag ?? info.etag, lastModified: info.lastModified)
            }
        } catch {
            // Too long for one read, or an I/O error: the routed path streams it or reports it.
            return nil
        }
        guard let read else { return nil }
        let size = UInt64(max(read.info.size, 0))
        let tag = EntityTag(opaqueTag: entityTag ?? read.info.etag)
        let modified = HTTPDate(lastModified: read.info.lastModified)
        let headers = ObjectResponder.validatorHeaders(headers, tag: tag, modified: modified)
        let body = ask.isHead ? nil : read.body
        let answer: Answer?
        switch ask.answer(size: size, tag: tag, modified: modified) {
        case .notModified:
            answer = Answer(status: .notModified, headers: headers, body: nil, route: route)
        case .whole where ask.isHead || size == 0 || body != nil:
            let headers = ObjectResponder.wholeHeaders(headers, size: read.info.size, contentType: contentType)
            answer = Answer(status: .ok, headers: headers, body: body, route: route)
        case .partial(let range) where ask.isHead || body != nil:
            let headers = ObjectResponder.partialHeaders(headers, range: range, size: size, contentType: contentType)
            answer = Answer(status: .partialContent, headers: headers, body: body, route: route)
        case .whole, .partial, .preconditionFailed, .multipart, .unsatisfiable:
            answer = nil
        }
        // A body read for an answer not given here (the file changed between the two looks).
        if answer?.body == nil { read.body?.bytes.discard() }
        return answer
    }
}

extension ImmediateStreamResponder {
    /// A request path the fast path may answer, exactly as the router spells it.
    struct Target {
        enum Resource {
            case stream
            case segment(rendition: String, segment: String)
        }

        var trackID: UUID
        var resource: Resource

        /// Nil for every other path, and for one with a query or percent-encoding (the routed
        /// path decodes and checks those). Read on the path's bytes: this runs for every request.
        init?(_ path: String?) {
            guard var path else { return nil }
            guard let target = path.withUTF8({ Self.read(path: $0) }) else { return nil }
            self = target
        }

        private init(trackID: UUID, resource: Resource) {
            self.trackID = trackID
            self.resource = resource
        }

        /// `{prefix}{uuid}/stream` or `{prefix}{uuid}/hls/{rendition}/{segment}`.
        static func read(path: UnsafeBufferPointer<UInt8>) -> Target? {
            let prefix = ImmediateStreamResponder.tracksPrefix.utf8
            let idEnd = prefix.count + 36
            guard path.count > idEnd, path.starts(with: prefix),
                !path.contains(UInt8(ascii: "?")), !path.contains(UInt8(ascii: "%")),
                let id = Self.uuid(UnsafeBufferPointer(rebasing: path[prefix.count..<idEnd]))
            else { return nil }
            let rest = UnsafeBufferPointer(rebasing: path[idEnd...])
            if rest.elementsEqual("/stream".utf8) { return Target(trackID: id, resource: .stream) }
            let hls = "/hls/".utf8
            guard rest.starts(with: hls) else { return nil }
            let names = rest.dropFirst(hls.count).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            guard names.count == 2, names.allSatisfy(Self.isHLSName), !names[1].elementsEqual("index.m3u8".utf8)
            else { return nil }
            let rendition = String(decoding: names[0], as: UTF8.self)
            let segment = String(decoding: names[1], as: UTF8.self)
            return Target(trackID: id, resource: .segment(rendition: rendition, segment: segment))
        }

        /// A UUID in its 36-character form (either case), as `UUID(uuidString:)` reads it.
        static func uuid(_ text: UnsafeBufferPointer<UInt8>) -> UUID? {
            guard text.count == 36 else { return nil }
            var bytes = [UInt8](repeating: 0, count: 16)
            var index = 0
            for (offset, character) in text.enumerated() {
                if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                    guard character == UInt8(ascii: "-") else { return nil }
                    continue
                }
                guard let nibble = Self.hexValue(character) else { return nil }
                bytes[index / 2] |= index % 2 == 0 ? nibble << 4 : nibble
                index += 1
            }
            return UUID(
                uuid: (
                    bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                    bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
                )
            )
        }

        static func hexValue(_ character: UInt8) -> UInt8? {
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
            default: return nil
            }
        }

        /// ``TracksController/isHLSName(_:)`` on bytes.
        static func isHLSName(_ name: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
            guard let first = name.first, first != UInt8(ascii: ".") else { return false }
            return name.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."):
                    return true
                default:
                    return false
                }
            }
        }
    }
}

/// How many requests an ``ImmediateStreamResponder`` answered (tests check that it did).
final class ImmediateAnswerCount: Sendable {
    let value = Atomic<Int>(0)
}
