import Testing

@testable import StreamServer

@Suite("multipart/byteranges layout (RFC 9110 §14.6)")
struct MultipartByteRangesTests {
    /// A representation whose bytes all differ from their neighbours, so a misplaced slice shows.
    static func representation(size: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
    }

    /// What the route code will send: each part's header, then its bytes from disk; then the closing delimiter.
    static func body(_ layout: MultipartByteRanges, _ data: [UInt8]) -> [UInt8] {
        var body: [UInt8] = []
        for part in layout.parts {
            body += Array(part.header.utf8)
            body += data[Int(part.range.start)...Int(part.range.end)]
        }
        return body + Array(layout.closingDelimiter.utf8)
    }

    /// An independent reader of the framing (RFC 2046 §5.1): returns each part's fields and content.
    static func parse(_ body: [UInt8], boundary: String) throws -> [(fields: [String: String], content: [UInt8])] {
        struct FramingError: Error { let reason: String }
        var index = 0
        func expect(_ literal: String) throws {
            let bytes = Array(literal.utf8)
            guard body.count - index >= bytes.count, Array(body[index..<index + bytes.count]) == bytes else {
                throw FramingError(reason: "expected \(literal.debugDescription) at \(index)")
            }
            index += bytes.count
        }
        func line() throws -> String {
            guard let end = (index..<body.count - 1).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }) else {
                throw FramingError(reason: "unterminated line at \(index)")
            }
            defer { index = end + 2 }
            return String(decoding: body[index..<end], as: UTF8.self)
        }

        var parts: [(fields: [String: String], content: [UInt8])] = []
        try expect("--\(boundary)\r\n")
        while true {
            var fields: [String: String] = [:]
            while true {
                let header = try line()
                if header.isEmpty { break }
                let pieces = header.split(separator: ":", maxSplits: 1)
                fields[String(pieces[0])] = String(pieces[1].drop { $0 == " " })
            }
            // The content length comes from the part's own Content-Range, as a client would read it.
            let range = try #require(fields["Content-Range"]?.split(whereSeparator: { " -/".contains($0) }))
            let (start, end) = (try #require(Int(range[1])), try #require(Int(range[2])))
            guard index + end - start + 1 <= body.count else { throw FramingError(reason: "short part") }
            parts.append((fields, Array(body[index...(index + end - start)])))
            index += end - start + 1
            try expect("\r\n--\(boundary)")
            if (try? expect("--\r\n")) != nil { break }
            try expect("\r\n")
        }
        guard index == body.count else { throw FramingError(reason: "trailing bytes") }
        return parts
    }

    @Test(
        "framing parses back and Content-Length is the real byte count",
        arguments: [
            [ResolvedByteRange(start: 0, end: 1), ResolvedByteRange(start: 5, end: 6)],
            [ResolvedByteRange(start: 0, end: 0), ResolvedByteRange(start: 99, end: 99)],
            [
                ResolvedByteRange(start: 50, end: 99), ResolvedByteRange(start: 0, end: 9),
                ResolvedByteRange(start: 20, end: 29),
            ],
            [ResolvedByteRange(start: 0, end: 99)],
        ]
    )
    func roundTrip(_ ranges: [ResolvedByteRange]) throws {
        let data = Self.representation(size: 100)
        var random = SplitMix64(seed: 42)
        let layout = try #require(
            MultipartByteRanges(ranges: ranges, size: 100, contentType: "audio/mpeg", using: &random)
        )
        let body = Self.body(layout, data)
        #expect(layout.contentLength == UInt64(body.count))
        #expect(layout.contentType == "multipart/byteranges; boundary=\(layout.boundary)")

        let parts = try Self.parse(body, boundary: layout.boundary)
        #expect(parts.count == ranges.count)
        for (part, range) in zip(parts, ranges) {
            #expect(part.fields == ["Content-Type": "audio/mpeg", "Content-Range": range.contentRange(size: 100)])
            #expect(part.content == Array(data[Int(range.start)...Int(range.end)]))
        }
    }

    @Test func exactBytesForAKnownBoundary() throws {
        let ranges = [ResolvedByteRange(start: 0, end: 1), ResolvedByteRange(start: 5, end: 6)]
        let layout = try #require(
            MultipartByteRanges(ranges: ranges, size: 10, contentType: "text/plain", boundary: "B")
        )
        let body = String(decoding: Self.body(layout, Array("0123456789".utf8)), as: UTF8.self)
        let expected =
            "--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n01"
            + "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-6/10\r\n\r\n56" + "\r\n--B--\r\n"
        #expect(body == expected)
        #expect(layout.contentLength == UInt64(expected.utf8.count))
    }

    @Test func contentTypeIsOptionalAndSanitised() throws {
        let ranges = [ResolvedByteRange(start: 0, end: 0), ResolvedByteRange(start: 2, end: 2)]
        let bare = try #require(MultipartByteRanges(ranges: ranges, size: 3, contentType: nil, boundary: "B"))
        #expect(bare.parts[0].header == "--B\r\nContent-Range: bytes 0-0/3\r\n\r\n")
        let blank = try #require(MultipartByteRanges(ranges: ranges, size: 3, contentType: " \t", boundary: "B"))
        #expect(blank.parts == bare.parts)

        let hostile = "audio/mpeg\r\nSet-Cookie: a=b\u{0}\u{7F}é"
        let layout = try #require(MultipartByteRanges(ranges: ranges, size: 3, contentType: hostile, boundary: "B"))
        #expect(
            layout.parts[1].header
                == "\r\n--B\r\nContent-Type: audio/mpegSet-Cookie: a=b\r\nContent-Range: bytes 2-2/3\r\n\r\n"
        )
    }

    @Test func rejectsWhatItCannotFrame() {
        let inBounds = [ResolvedByteRange(start: 0, end: 9)]
        #expect(MultipartByteRanges(ranges: [], size: 10, contentType: nil, boundary: "B") == nil)
        #expect(
            MultipartByteRanges(
                ranges: [ResolvedByteRange(start: 0, end: 10)],
                size: 10,
                contentType: nil,
                boundary: "B"
            )
                == nil
        )
        #expect(MultipartByteRanges(ranges: inBounds, size: 10, contentType: nil, boundary: "") == nil)
        #expect(MultipartByteRanges(ranges: inBounds, size: 10, contentType: nil, boundary: "a b") == nil)
        #expect(
            MultipartByteRanges(
                ranges: inBounds,
                size: 10,
                contentType: nil,
                boundary: String(repeating: "a", count: 71)
            ) == nil
        )
        // The boundary must not occur in a part's fields, numbers included.
        #expect(MultipartByteRanges(ranges: inBounds, size: 10, contentType: "x/GOAL", boundary: "GOAL") == nil)
        #expect(MultipartByteRanges(ranges: inBounds, size: 10, contentType: nil, boundary: "0-9") == nil)
        // Two parts of almost 2^64 bytes cannot be framed without overflowing Content-Length.
        let huge = [ResolvedByteRange(start: 0, end: .max - 2), ResolvedByteRange(start: .max - 1, end: .max - 1)]
        #expect(MultipartByteRanges(ranges: huge, size: .max, contentType: nil, boundary: "B") == nil)
    }

    @Test func randomBoundaries() throws {
        var random = SplitMix64(seed: 7)
        var boundaries = Set<String>()
        for _ in 0..<1000 {
            let boundary = MultipartByteRanges.makeBoundary(using: &random)
            #expect(boundary.utf8.count == MultipartByteRanges.boundaryLength)
            #expect(
                boundary.utf8.allSatisfy {
                    $0 < 128 && (Character(Unicode.Scalar($0)).isLetter || Character(Unicode.Scalar($0)).isNumber)
                }
            )
            boundaries.insert(boundary)
        }
        #expect(boundaries.count == 1000)
        let system = try #require(
            MultipartByteRanges(ranges: [ResolvedByteRange(start: 0, end: 0)], size: 1, contentType: nil)
        )
        #expect(MultipartByteRanges.isValidBoundary(system.boundary) && system.boundary.utf8.count >= 24)
    }

    /// A generator stuck on one value draws the same boundary every time; if that boundary is in the content type,
    /// the layout gives up instead of emitting an ambiguous body.
    @Test func givesUpWhenEveryBoundaryCollides() {
        struct Stuck: RandomNumberGenerator { mutating func next() -> UInt64 { 0 } }
        var stuck = Stuck()
        let boundary = MultipartByteRanges.makeBoundary(using: &stuck)
        let ranges = [ResolvedByteRange(start: 0, end: 0)]
        #expect(MultipartByteRanges(ranges: ranges, size: 1, contentType: "x/\(boundary)", using: &stuck) == nil)
        #expect(MultipartByteRanges(ranges: ranges, size: 1, contentType: "x/y", using: &stuck)?.boundary == boundary)
    }
}
