import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Storage

/// Serves a stored object over HTTP with full RFC 9110 semantics: validators, conditional
/// requests, single and multiple ranges, HEAD without a body. The object is opened once
/// (``ObjectStore/open(key:)``); a range of up to ``OpenedObject/singleReadLimit`` bytes is read in
/// one step into one buffer, longer bodies stream, so memory stays bounded whatever the file size.
struct ObjectResponder: Sendable {
    struct Representation: Sendable {
        var object: OpenedObject
        var size: Int64
        /// A strong validator: the stored content's SHA-256 (or the store's ETag).
        var entityTag: String
        var lastModified: Date
        var contentType: String
        var headers: HTTPFields
    }

    func respond(to request: Request, representation: Representation) async throws -> Response {
        let size = UInt64(max(representation.size, 0))
        let isHead = request.method == .head
        let tag = EntityTag(opaqueTag: representation.entityTag)
        let modified = HTTPDate(lastModified: representation.lastModified)
        let headers = Self.validatorHeaders(representation.headers, tag: tag, modified: modified)
        switch Ask(request).answer(size: size, tag: tag, modified: modified) {
        case .notModified:
            return Response(status: .notModified, headers: headers)
        case .preconditionFailed:
            throw Self.preconditionFailed
        case .whole:
            return try await self.whole(representation, headers: headers, isHead: isHead)
        case .partial(let range):
            return Response(
                status: .partialContent,
                headers: Self.partialHeaders(
                    headers,
                    range: range,
                    size: size,
                    contentType: representation.contentType
                ),
                body: isHead ? ResponseBody() : try await self.body(representation.object, range)
            )
        case .multipart(let ranges):
            // Only a length past UInt64 makes the layout nil; a server may then ignore Range (RFC 9110 §14.2).
            guard let layout = MultipartByteRanges(ranges: ranges, size: size, contentType: representation.contentType)
            else {
                return try await self.whole(representation, headers: headers, isHead: isHead)
            }
            var headers = headers
            headers[.contentType] = layout.contentType
            headers[.contentLength] = String(layout.contentLength)
            if isHead { return Response(status: .partialContent, headers: headers) }
            let object = representation.object
            let body = ResponseBody(contentLength: Int(layout.contentLength)) { writer in
                for part in layout.parts {
                    try await writer.write(ByteBuffer(string: part.header))
                    let stream = try await object.stream(Int64(part.range.start)...Int64(part.range.end))
                    for try await buffer in stream { try await writer.write(buffer) }
                }
                try await writer.write(ByteBuffer(string: layout.closingDelimiter))
                try await writer.finish(nil)
            }
            return Response(status: .partialContent, headers: headers, body: body)
        case .unsatisfiable:
            var headers = headers
            headers[.contentRange] = ResolvedByteRange.unsatisfiedContentRange(size: size)
            headers[.contentType] = "application/json; charset=utf-8"
            var error = APIError(
                .rangeNotSatisfiable,
                code: "range_not_satisfiable",
                message: "the requested range is outside the \(size)-byte file"
            )
            error.headers = headers
            throw error
        }
    }

    /// The whole representation: 200 with its length (and no body for HEAD).
    func whole(_ representation: Representation, headers: HTTPFields, isHead: Bool) async throws -> Response {
        Response(
            status: .ok,
            headers: Self.wholeHeaders(headers, size: representation.size, contentType: representation.contentType),
            body: isHead
                ? ResponseBody()
                : try await self.body(
                    representation.object,
                    representation.size > 0 ? ResolvedByteRange(start: 0, end: UInt64(representation.size - 1)) : nil
                )
        )
    }

    /// The bytes of `range` (nil: an empty body): one buffer when the store reads it in one step.
    func body(_ object: OpenedObject, _ range: ResolvedByteRange?) async throws -> ResponseBody {
        guard let range else { return ResponseBody() }
        let bounds = Int64(range.start)...Int64(range.end)
        if let buffer = try await object.read(bounds) { return ResponseBody(byteBuffer: buffer) }
        return ResponseBody(asyncSequence: try await object.stream(bounds))
    }
}

extension ObjectResponder {
    /// What a request asks of a representation, read once from its headers. Sendable: a store's
    /// read-ahead (``ObjectStore/open(key:readAhead:)``) runs ``bodyRange(size:entityTag:lastModified:)``
    /// where it opens the file, so the bytes come with the metadata in one step.
    struct Ask: Sendable {
        var conditions: ConditionalRequest
        var rangeHeader: String?
        var isHead: Bool

        init(_ request: Request) {
            self.init(method: request.method, headers: request.headers)
        }

        init(method: HTTPRequest.Method, headers: HTTPFields) {
            self.conditions = ConditionalRequest(
                method: .init(method.rawValue),
                ifMatch: headers[values: .ifMatch].joinedOrNil,
                ifNoneMatch: headers[values: .ifNoneMatch].joinedOrNil,
                ifModifiedSince: headers[.ifModifiedSince],
                ifUnmodifiedSince: headers[.ifUnmodifiedSince],
                ifRange: headers[.ifRange],
                hasRange: headers[.range] != nil
            )
            self.rangeHeader = headers[values: .range].joinedOrNil
            self.isHead = method == .head
        }

        /// How this request is answered, from the representation's size and validators alone:
        /// the conditions first (RFC 9110 §13.2.2), then the range.
        func answer(size: UInt64, tag: EntityTag?, modified: HTTPDate) -> Answer {
            switch self.conditions.evaluate(against: RepresentationValidators(entityTag: tag, lastModified: modified)) {
            case .notModified:
                return .notModified
            case .preconditionFailed:
                return .preconditionFailed
            case .proceed(let honourRange):
                switch honourRange ? RangeDecision(rangeHeader: self.rangeHeader, size: size) : .full {
                case .full: return .whole
                case .partial(let range): return .partial(range)
                case .multipart(let ranges): return .multipart(ranges)
                case .unsatisfiable: return .unsatisfiable
                }
            }
        }

        /// The bytes a 200 or single-range 206 answer to this request sends, as
        /// ``ObjectResponder/respond(to:representation:)`` decides it; nil for every other answer
        /// (HEAD, 304, 412, 416, multipart, an empty body).
        func bodyRange(size: Int64, entityTag: String, lastModified: Date) -> ClosedRange<Int64>? {
            guard !self.isHead, size > 0 else { return nil }
            let tag = EntityTag(opaqueTag: entityTag)
            switch self.answer(size: UInt64(size), tag: tag, modified: HTTPDate(lastModified: lastModified)) {
            case .whole: return 0...(size - 1)
            case .partial(let range): return Int64(range.start)...Int64(range.end)
            case .notModified, .preconditionFailed, .multipart, .unsatisfiable: return nil
            }
        }
    }

    /// Opens `key` for ``respond(to:representation:)``, reading the body this request will get in
    /// the same step when the store can (`entityTag`: the validator the answer will carry, nil for
    /// the store's ETag).
    static func open(
        _ key: String,
        in store: any ObjectStore,
        for request: Request,
        entityTag: String?
    ) async throws
        -> OpenedObject?
    {
        let ask = Ask(request)
        return try await store.open(key: key) { info in
            ask.bodyRange(size: info.size, entityTag: entityTag ?? info.etag, lastModified: info.lastModified)
        }
    }
}

extension ObjectResponder {
    /// How a request for a representation is answered, before any byte is read.
    enum Answer: Equatable {
        case notModified
        case preconditionFailed
        case whole
        case partial(ResolvedByteRange)
        case multipart([ResolvedByteRange])
        case unsatisfiable
    }

    static var preconditionFailed: APIError {
        APIError(
            .preconditionFailed,
            code: "precondition_failed",
            message: "the track has changed (If-Match / If-Unmodified-Since)"
        )
    }

    /// `headers` with what every answer about a representation carries: `Accept-Ranges`, the
    /// strong `ETag` and `Last-Modified`.
    static func validatorHeaders(_ headers: HTTPFields, tag: EntityTag?, modified: HTTPDate) -> HTTPFields {
        var headers = headers
        headers[.acceptRanges] = "bytes"
        if let tag { headers[.eTag] = tag.headerValue }
        headers[.lastModified] = modified.imfFixdate
        return headers
    }

    /// The headers of a single-range 206.
    static func partialHeaders(
        _ headers: HTTPFields,
        range: ResolvedByteRange,
        size: UInt64,
        contentType: String
    ) -> HTTPFields {
        var headers = headers
        headers[.contentType] = contentType
        headers[.contentRange] = range.contentRange(size: size)
        headers[.contentLength] = String(range.length)
        return headers
    }

    /// The headers of a whole-representation 200.
    static func wholeHeaders(_ headers: HTTPFields, size: Int64, contentType: String) -> HTTPFields {
        var headers = headers
        headers[.contentType] = contentType
        headers[.contentLength] = String(max(size, 0))
        return headers
    }
}

extension HTTPDate {
    /// A stored object's modification time, to the second (what `Last-Modified` can say).
    init(lastModified: Date) {
        self.init(secondsSince1970: Int64(lastModified.timeIntervalSince1970.rounded(.down)))
    }
}

extension Array where Element == String {
    /// Several header lines of one field joined as RFC 9110 §5.3 allows; nil when absent.
    var joinedOrNil: String? { self.isEmpty ? nil : self.joined(separator: ", ") }
}
