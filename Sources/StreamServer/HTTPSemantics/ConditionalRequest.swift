import Foundation

/// The validators the server holds for the selected representation (RFC 9110 §8.8).
struct RepresentationValidators: Hashable, Sendable {
    /// The `ETag` sent with the representation, if any.
    var entityTag: EntityTag?
    /// The `Last-Modified` sent with the representation, if any, already truncated to whole seconds.
    var lastModified: HTTPDate?

    init(entityTag: EntityTag? = nil, lastModified: HTTPDate? = nil) {
        self.entityTag = entityTag
        self.lastModified = lastModified
    }
}

/// What the preconditions of a request say to do (RFC 9110 §13.2.2).
enum ConditionalOutcome: Hashable, Sendable {
    /// Serve the representation; `honourRange` says whether its Range header applies (via ``RangeDecision``)
    /// or the response must be a full 200.
    case proceed(honourRange: Bool)
    /// 304 Not Modified, with the validators and caching fields a 200 would carry (RFC 9110 §15.4.5).
    case notModified
    /// 412 Precondition Failed.
    case preconditionFailed
}

/// The conditional fields of a request, as raw field values (nil when absent).
///
/// If a field arrives in several lines, pass them joined with ", " (RFC 9110 §5.3): lists of entity tags stay
/// valid, while a list of dates or of If-Range validators no longer parses and is ignored, as the RFC requires.
struct ConditionalRequest: Sendable {
    /// Only the distinction the evaluation needs: 304 and If-Modified-Since apply to GET and HEAD alone.
    enum Method: Hashable, Sendable {
        case get
        case head
        case other

        /// From the method token, which is case-sensitive (RFC 9110 §9.1).
        init(_ token: String) {
            switch token {
            case "GET": self = .get
            case "HEAD": self = .head
            default: self = .other
            }
        }

        var isGetOrHead: Bool { self != .other }
    }

    var method: Method
    var ifMatch: String?
    var ifNoneMatch: String?
    var ifModifiedSince: String?
    var ifUnmodifiedSince: String?
    var ifRange: String?
    /// Whether the request has a Range field at all; its value is ``RangeDecision``'s business.
    var hasRange: Bool
    /// The server's clock: an If-Modified-Since later than this is ignored (§13.1.3).
    var now: HTTPDate = HTTPDate(secondsSince1970: Int64(Date().timeIntervalSince1970.rounded(.down)))

    init(
        method: Method,
        ifMatch: String? = nil,
        ifNoneMatch: String? = nil,
        ifModifiedSince: String? = nil,
        ifUnmodifiedSince: String? = nil,
        ifRange: String? = nil,
        hasRange: Bool = false
    ) {
        self.method = method
        self.ifMatch = ifMatch
        self.ifNoneMatch = ifNoneMatch
        self.ifModifiedSince = ifModifiedSince
        self.ifUnmodifiedSince = ifUnmodifiedSince
        self.ifRange = ifRange
        self.hasRange = hasRange
    }

    /// Evaluates the preconditions in the order of RFC 9110 §13.2.2.
    ///
    /// Call it once the target exists and the caller may read it: §13.2.1 has preconditions evaluated only when
    /// the response would otherwise be a 2xx, so 404 and 403 come first. Blank fields count as absent.
    ///
    /// Range handling is defined for GET only (§14.2), but HEAD is answered as GET would be (§9.3.2), as Go's
    /// `ServeContent` and nginx do, so a HEAD tells a player exactly what its GET will get.
    func evaluate(against validators: RepresentationValidators) -> ConditionalOutcome {
        // Step 1: If-Match, strong comparison (§13.1.1). Step 2, only without If-Match: If-Unmodified-Since,
        // ignored when it is not a valid HTTP-date or the representation has no modification date (§13.1.4).
        if let ifMatch = HTTPFieldSyntax.presentValue(self.ifMatch) {
            guard Self.ifMatchHolds(ifMatch, current: validators.entityTag) else { return .preconditionFailed }
        } else if let ifUnmodifiedSince = HTTPFieldSyntax.presentValue(self.ifUnmodifiedSince),
            let date = HTTPDate(parsing: ifUnmodifiedSince), let lastModified = validators.lastModified,
            lastModified > date
        {
            return .preconditionFailed
        }

        // Step 3: If-None-Match, weak comparison (§13.1.2); false means 304 for GET/HEAD and 412 otherwise.
        // Step 4, only without If-None-Match and only for GET/HEAD: If-Modified-Since (§13.1.3), ignored
        // when it is later than the server's clock (a client's guess, not a date it received).
        if let ifNoneMatch = HTTPFieldSyntax.presentValue(self.ifNoneMatch) {
            guard Self.ifNoneMatchHolds(ifNoneMatch, current: validators.entityTag) else {
                return self.method.isGetOrHead ? .notModified : .preconditionFailed
            }
        } else if self.method.isGetOrHead, let ifModifiedSince = HTTPFieldSyntax.presentValue(self.ifModifiedSince),
            let date = HTTPDate(parsing: ifModifiedSince), date <= self.now,
            let lastModified = validators.lastModified, lastModified <= date
        {
            return .notModified
        }

        // Step 5: If-Range (§13.1.5). It is ignored without a Range field; when it does not match, the Range
        // field is ignored and the whole representation is sent.
        guard self.hasRange, self.method.isGetOrHead else { return .proceed(honourRange: false) }
        guard let ifRange = HTTPFieldSyntax.presentValue(self.ifRange) else { return .proceed(honourRange: true) }
        return .proceed(honourRange: Self.ifRangeMatches(ifRange, validators: validators))
    }

    /// `If-Match`: `*` holds for any current representation; otherwise one listed tag must strongly match.
    /// A malformed value matches nothing, so it fails safe with 412.
    static func ifMatchHolds(_ value: String, current: EntityTag?) -> Bool {
        switch EntityTagCondition(parsing: value) {
        case .any:
            return true
        case .tags(let tags):
            guard let current else { return false }
            return tags.contains { $0.strongMatches(current) }
        case nil:
            return false
        }
    }

    /// `If-None-Match`: false when `*` is sent or a listed tag weakly matches. A malformed value matches
    /// nothing, so it fails safe with a full response.
    static func ifNoneMatchHolds(_ value: String, current: EntityTag?) -> Bool {
        switch EntityTagCondition(parsing: value) {
        case .any:
            return false
        case .tags(let tags):
            guard let current else { return true }
            return !tags.contains { $0.weakMatches(current) }
        case nil:
            return true
        }
    }

    /// `If-Range = entity-tag / HTTP-date` (§13.1.5): a tag must strongly match, so a weak tag on either side
    /// never does; a date must equal Last-Modified exactly. Anything else, a list included, does not match.
    ///
    /// §13.1.5 also asks that a date only be trusted when Last-Modified is itself a strong validator (at least a
    /// second older than the response's Date); that needs a clock, so this pure check is equality alone. Send a
    /// strong ETag with every file and clients will use it instead of the date.
    static func ifRangeMatches(_ value: String, validators: RepresentationValidators) -> Bool {
        if let tag = EntityTag(parsing: value) {
            guard let current = validators.entityTag else { return false }
            return tag.strongMatches(current)
        }
        if let date = HTTPDate(parsing: value) {
            return date == validators.lastModified
        }
        return false
    }
}
