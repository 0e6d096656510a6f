/// What to send for a GET/HEAD of a representation, given its Range header (RFC 9110 §14.2, §15.3.7).
///
/// Policy, in order:
/// 1. No Range header, a malformed one, a unit other than `bytes`, or more than `maximumRangeCount` range-specs:
///    ``full`` (ignoring Range is always allowed, §14.2).
/// 2. A zero-length representation: ``full`` for every Range header. No 206 can describe zero bytes, and RFC
///    9110 §14.1.1 even counts a non-zero suffix-range as satisfiable there. This matches Go's `ServeContent`
///    ("some clients add a Range header to all requests"): players that always send `bytes=0-` get an empty 200
///    rather than an error.
/// 3. Range-specs that are unsatisfiable (first-pos at or past the end, suffix-length 0) are dropped; if none is
///    left: ``unsatisfiable`` (416 with `Content-Range: bytes */size`).
/// 4. One range left: ``partial``. Several: ``multipart``, in the order requested (§15.3.7.2), unless they add up
///    to more than the representation (Go's `ServeContent`, nginx) or overlap (Apache's `MaxRangeOverlaps`, here
///    with none allowed), which only broken clients or amplification attacks (CVE-2011-3192) send; then ``full``.
enum RangeDecision: Hashable, Sendable {
    /// 200 with the whole representation.
    case full
    /// 206 with `Content-Range: range.contentRange(size:)` and `range.length` bytes.
    case partial(ResolvedByteRange)
    /// 206 `multipart/byteranges` (lay it out with ``MultipartByteRanges``); at least two disjoint ranges.
    case multipart([ResolvedByteRange])
    /// 416 with `Content-Range: ResolvedByteRange.unsatisfiedContentRange(size:)`.
    case unsatisfiable

    /// Cap on the range-specs in one header. Real players send one (media) or a handful (PDF viewers); nginx and
    /// Apache ship similar limits for CVE-2011-3192. Above it the header is ignored and the response is a 200.
    static let defaultMaximumRangeCount = 16

    /// Decides the response for `rangeHeader` (nil when absent) on a representation of `size` bytes.
    ///
    /// Call it only when ``ConditionalRequest/evaluate(against:)`` said `.proceed(honourRange: true)`; otherwise
    /// the answer is ``full``.
    init(rangeHeader: String?, size: UInt64, maximumRangeCount: Int = RangeDecision.defaultMaximumRangeCount) {
        guard let rangeHeader else {
            self = .full
            return
        }
        switch RangeHeaderParser.parse(rangeHeader, maximumRangeCount: maximumRangeCount) {
        case .ignored:
            self = .full
        case .byteRanges(let specs):
            self = Self.decide(specs, size: size)
        }
    }

    /// The status code this decision leads to: 200, 206 or 416.
    var statusCode: Int {
        switch self {
        case .full: 200
        case .partial, .multipart: 206
        case .unsatisfiable: 416
        }
    }

    static func decide(_ specs: [ByteRangeSpec], size: UInt64) -> RangeDecision {
        guard size > 0 else { return .full }
        let ranges = specs.compactMap { Self.resolve($0, size: size) }
        guard let first = ranges.first else { return .unsatisfiable }
        guard ranges.count > 1 else { return .partial(first) }

        // Go's and nginx's defence: the parts together must not exceed the representation. Checked addition,
        // because a clamped range can be as long as the representation and there may be sixteen of them.
        var total: UInt64 = 0
        for range in ranges {
            let (sum, overflow) = total.addingReportingOverflow(range.length)
            guard !overflow, sum <= size else { return .full }
            total = sum
        }
        // Apache's defence: overlapping ranges only serve to multiply the output (RFC 9110 §14.2 allows ignoring
        // "more than two overlapping ranges"; we are stricter and accept none). Sorted copy, so the check is
        // O(n log n) and the parts keep the requested order.
        let sorted = ranges.sorted { $0.start < $1.start }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.overlaps(next) {
            return .full
        }
        return .multipart(ranges)
    }

    /// Clamps a range-spec to a non-empty representation, or nil when it is unsatisfiable (RFC 9110 §14.1.1:
    /// an int-range is satisfiable if first-pos < length, a suffix-range if suffix-length > 0).
    static func resolve(_ spec: ByteRangeSpec, size: UInt64) -> ResolvedByteRange? {
        precondition(size > 0)
        switch spec {
        case .from(let first, let last):
            guard first < size else { return nil }
            // "If the last-pos value is absent, or if the value is greater than or equal to the current length
            // of the representation data, the byte range is interpreted as the remainder" (§14.1.2).
            return ResolvedByteRange(start: first, end: min(last ?? .max, size - 1))
        case .suffix(let length):
            guard length > 0 else { return nil }
            // "If the selected representation is shorter than the specified suffix-length, the entire
            // representation is used" (§14.1.2).
            return ResolvedByteRange(start: size - min(length, size), end: size - 1)
        }
    }
}
