/// A satisfiable, already-clamped byte range of a representation: `start...end`, both inclusive, as in
/// `Content-Range` (RFC 9110 §14.4).
///
/// Only ``RangeDecision`` creates these from request input, and it always produces `start <= end < size`, so the
/// route code can seek and read without further checks. Not to be confused with `Storage.ByteRange`, the
/// unresolved range an `ObjectStore` read takes: `Storage.ByteRange(Int64(range.start)...Int64(range.end))`.
struct ResolvedByteRange: Hashable, Sendable, CustomStringConvertible {
    /// Offset of the first byte sent.
    let start: UInt64
    /// Offset of the last byte sent (inclusive).
    let end: UInt64

    /// - Precondition: `start <= end < UInt64.max`, so that ``length`` cannot overflow. Violating it is a
    ///   programming error: request input never reaches this initializer unchecked.
    init(start: UInt64, end: UInt64) {
        precondition(start <= end && end < UInt64.max, "invalid byte range \(start)-\(end)")
        self.start = start
        self.end = end
    }

    /// Number of bytes in the range; never zero.
    var length: UInt64 { self.end - self.start + 1 }

    /// Whether the two ranges share at least one byte.
    func overlaps(_ other: ResolvedByteRange) -> Bool {
        self.start <= other.end && other.start <= self.end
    }

    /// The `Content-Range` field value for this range of a `size`-byte representation: `bytes 0-9/100`
    /// (RFC 9110 §14.4, `complete-length` is always known here).
    func contentRange(size: UInt64) -> String {
        "bytes \(self.start)-\(self.end)/\(size)"
    }

    /// The `Content-Range` value a 416 response carries: `bytes */100` (RFC 9110 §15.5.17).
    static func unsatisfiedContentRange(size: UInt64) -> String {
        "bytes */\(size)"
    }

    var description: String { "\(self.start)-\(self.end)" }
}
