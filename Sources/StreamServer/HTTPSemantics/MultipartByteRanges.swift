/// The framing of a `multipart/byteranges` body (RFC 9110 §14.6), computed before any byte is sent so the
/// response has an exact Content-Length and the parts can be streamed from disk one after another:
///
///     body = parts[0].header + bytes(parts[0].range) + parts[1].header + … + closingDelimiter
///
/// The layout matches Go's `mime/multipart` writer: no preamble, and the CRLF before each later delimiter
/// (which RFC 2046 §5.1.1 counts as part of the delimiter) starts the next part's header.
struct MultipartByteRanges: Sendable {
    struct Part: Hashable, Sendable {
        /// Sent before the part's bytes: `[CRLF] --BOUNDARY CRLF`, the part's fields, and the blank line.
        let header: String
        /// The bytes of the representation to send after ``header``.
        let range: ResolvedByteRange
    }

    let boundary: String
    let parts: [Part]
    /// `CRLF --BOUNDARY-- CRLF`, sent after the last part's bytes.
    let closingDelimiter: String
    /// The exact number of bytes in the body.
    let contentLength: UInt64

    /// The response's Content-Type field value.
    var contentType: String { "multipart/byteranges; boundary=\(self.boundary)" }

    /// 32 characters from a 62-letter alphabet: 190 random bits, so the boundary will not occur in the file data
    /// by chance (RFC 2046 §5.1.1 wants it absent there; scanning the media to be sure would defeat streaming).
    static let boundaryLength = 32
    private static let boundaryAlphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// Lays out `ranges` (in that order) of a `size`-byte representation with a fresh random boundary.
    ///
    /// - Parameters:
    ///   - contentType: the representation's Content-Type, repeated in each part as RFC 9110 §14.6 requires when
    ///     a 200 would carry one; nil or blank leaves it out. Control characters are removed first, so a stored
    ///     content type cannot inject header lines.
    /// - Returns: nil if `ranges` is empty, a range ends at or past `size`, or the length overflows `UInt64`.
    ///   For a ``RangeDecision/multipart(_:)`` of the same size, only the last can happen, and only when the
    ///   representation is within a few KiB of 2^64 bytes; answer with the full representation then.
    init?(ranges: [ResolvedByteRange], size: UInt64, contentType: String?) {
        var generator = SystemRandomNumberGenerator()
        self.init(ranges: ranges, size: size, contentType: contentType, using: &generator)
    }

    /// As ``init(ranges:size:contentType:)``, drawing the boundary from `generator` (deterministic in tests).
    init?(
        ranges: [ResolvedByteRange],
        size: UInt64,
        contentType: String?,
        using generator: inout some RandomNumberGenerator
    ) {
        // The boundary must not appear in the part headers either; with sanitised ASCII fields a clash is
        // astronomically unlikely, but draw again rather than emit an ambiguous body.
        for _ in 0..<8 {
            let boundary = Self.makeBoundary(using: &generator)
            if let layout = Self(ranges: ranges, size: size, contentType: contentType, boundary: boundary) {
                self = layout
                return
            }
            guard Self.fieldsContain(boundary, ranges: ranges, size: size, contentType: contentType) else { return nil }
        }
        return nil
    }

    /// As ``init(ranges:size:contentType:)`` with a given boundary; also nil if the boundary is not 1 to 70
    /// characters from `[0-9A-Za-z'+-._]` (RFC 2046 §5.1.1 bchars that are also token characters, so it needs no
    /// quoting in Content-Type) or occurs in a part's fields.
    init?(ranges: [ResolvedByteRange], size: UInt64, contentType: String?, boundary: String) {
        guard !ranges.isEmpty, ranges.allSatisfy({ $0.end < size }), Self.isValidBoundary(boundary),
            !Self.fieldsContain(boundary, ranges: ranges, size: size, contentType: contentType)
        else { return nil }
        let typeLine = Self.sanitised(contentType).map { "Content-Type: \($0)\r\n" } ?? ""

        var parts: [Part] = []
        parts.reserveCapacity(ranges.count)
        var total: UInt64 = 0
        for (index, range) in ranges.enumerated() {
            let lead = index == 0 ? "" : "\r\n"
            let header = "\(lead)--\(boundary)\r\n\(typeLine)Content-Range: \(range.contentRange(size: size))\r\n\r\n"
            guard let sum = Self.add(total, UInt64(header.utf8.count), range.length) else { return nil }
            total = sum
            parts.append(Part(header: header, range: range))
        }
        let closing = "\r\n--\(boundary)--\r\n"
        guard let length = Self.add(total, UInt64(closing.utf8.count), 0) else { return nil }

        self.boundary = boundary
        self.parts = parts
        self.closingDelimiter = closing
        self.contentLength = length
    }

    /// A random boundary of ``boundaryLength`` alphanumerics.
    ///
    /// One 64-bit draw per character, reduced modulo 62: the bias (2^64 mod 62 in 2^64) is far below anything
    /// measurable, and unlike `randomElement(using:)` it never loops, whatever the generator returns.
    static func makeBoundary(using generator: inout some RandomNumberGenerator) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.boundaryLength)
        for _ in 0..<Self.boundaryLength {
            bytes.append(Self.boundaryAlphabet[Int(generator.next() % UInt64(Self.boundaryAlphabet.count))])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func isValidBoundary(_ boundary: String) -> Bool {
        guard (1...70).contains(boundary.utf8.count) else { return false }
        for byte in boundary.utf8 {
            let isLetter = (byte | 0x20) &- UInt8(ascii: "a") < 26  // bit 0x20 folds ASCII case
            guard isLetter || HTTPFieldSyntax.isDigit(byte) || "'+-._".utf8.contains(byte) else { return false }
        }
        return true
    }

    /// The content type with control characters (and anything non-ASCII) removed and OWS trimmed; nil if blank.
    static func sanitised(_ contentType: String?) -> String? {
        guard let contentType else { return nil }
        let kept = contentType.utf8.filter { (0x20...0x7E).contains($0) || $0 == 0x09 }
        let trimmed = HTTPFieldSyntax.trimmed(kept[...])
        return trimmed.isEmpty ? nil : String(decoding: trimmed, as: UTF8.self)
    }

    /// Whether `boundary` occurs in the text of any part's fields (the delimiter lines aside).
    private static func fieldsContain(
        _ boundary: String,
        ranges: [ResolvedByteRange],
        size: UInt64,
        contentType: String?
    ) -> Bool {
        let needle = Array(boundary.utf8)
        let fields = [Self.sanitised(contentType) ?? ""] + ranges.map { $0.contentRange(size: size) }
        return fields.contains { field in
            let haystack = Array(field.utf8)
            guard haystack.count >= needle.count else { return false }
            return (0...(haystack.count - needle.count)).contains {
                haystack[$0..<$0 + needle.count].elementsEqual(needle)
            }
        }
    }

    private static func add(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64? {
        let (ab, overflowAB) = a.addingReportingOverflow(b)
        let (abc, overflowABC) = ab.addingReportingOverflow(c)
        return overflowAB || overflowABC ? nil : abc
    }
}
