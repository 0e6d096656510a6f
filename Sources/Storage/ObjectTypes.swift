import Foundation

/// What a store knows about an object.
public struct ObjectInfo: Sendable, Hashable {
    /// The object key.
    public var key: String
    /// The size of the whole object in bytes.
    public var size: Int64
    /// The entity tag, without quotes: the hex MD5 of the content for a single upload, or the hex
    /// MD5 of the concatenated binary part MD5s followed by `-<part count>` for a multipart upload.
    public var etag: String
    /// When the object was last written.
    public var lastModified: Date
    /// The content type given when the object was written; nil in listings.
    public var contentType: String?

    /// Creates an object description.
    public init(key: String, size: Int64, etag: String, lastModified: Date, contentType: String? = nil) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.contentType = contentType
    }
}

/// A byte range of an object, as in an HTTP `Range: bytes=…` header (offsets are inclusive).
public struct ByteRange: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case bounded(first: Int64, last: Int64)
        case from(first: Int64)
        case suffix(length: Int64)
    }

    let kind: Kind

    /// Bytes `first` through `last`, both included (`bytes=first-last`).
    ///
    /// - Precondition: `0 <= first <= last`.
    public init(_ range: ClosedRange<Int64>) {
        precondition(range.lowerBound >= 0, "a byte range starts at offset 0 or later")
        self.kind = .bounded(first: range.lowerBound, last: range.upperBound)
    }

    /// Bytes from `first` to the end (`bytes=first-`).
    public static func from(_ first: Int64) -> ByteRange {
        precondition(first >= 0, "a byte range starts at offset 0 or later")
        return ByteRange(kind: .from(first: first))
    }

    /// The last `length` bytes (`bytes=-length`).
    public static func suffix(_ length: Int64) -> ByteRange {
        precondition(length > 0, "a suffix range has a positive length")
        return ByteRange(kind: .suffix(length: length))
    }

    private init(kind: Kind) {
        self.kind = kind
    }

    /// The value of an HTTP `Range` header for this range, e.g. `bytes=100-199`.
    public var httpHeaderValue: String {
        switch self.kind {
        case .bounded(let first, let last): return "bytes=\(first)-\(last)"
        case .from(let first): return "bytes=\(first)-"
        case .suffix(let length): return "bytes=-\(length)"
        }
    }

    public var description: String { self.httpHeaderValue }

    /// The offsets this range selects in an object of `size` bytes, or nil when none (HTTP 416).
    public func resolved(size: Int64) -> ClosedRange<Int64>? {
        switch self.kind {
        case .bounded(let first, let last):
            guard first < size else { return nil }
            return first...min(last, size - 1)
        case .from(let first):
            guard first < size else { return nil }
            return first...(size - 1)
        case .suffix(let length):
            guard size > 0 else { return nil }
            return max(0, size - length)...(size - 1)
        }
    }
}

/// The result of a `get`: the object's description and its body.
public struct ObjectResponse: Sendable {
    /// The object; `size` is the size of the whole object.
    public var info: ObjectInfo
    /// The offsets of the bytes in `body` when a range was requested (HTTP 206), else nil.
    public var contentRange: ClosedRange<Int64>?
    /// The bytes, streamed. Iterate once; dropping it releases the file or connection.
    public var body: ObjectByteStream

    /// The number of bytes in `body`.
    public var contentLength: Int64 {
        self.contentRange.map { $0.upperBound - $0.lowerBound + 1 } ?? self.info.size
    }

    /// Creates a response.
    public init(info: ObjectInfo, contentRange: ClosedRange<Int64>?, body: ObjectByteStream) {
        self.info = info
        self.contentRange = contentRange
        self.body = body
    }
}

/// The result of a `put` or of completing a multipart upload.
public struct PutResult: Sendable, Hashable {
    /// The object key.
    public var key: String
    /// The entity tag of the new object, without quotes.
    public var etag: String

    /// Creates a result.
    public init(key: String, etag: String) {
        self.key = key
        self.etag = etag
    }
}

/// Options for writing an object.
public struct PutOptions: Sendable, Hashable {
    /// The content type stored with the object and returned by `get` and `head`.
    public var contentType: String?

    /// Creates options.
    public init(contentType: String? = nil) {
        self.contentType = contentType
    }
}

/// The HTTP methods a signed URL can be made for.
public enum SignedURLMethod: String, Sendable, Hashable {
    /// Reading the object (whole or ranges).
    case get = "GET"
    /// Reading the object's headers only.
    case head = "HEAD"
}
