import Testing

@testable import StreamServer

struct RangeCase: Sendable, CustomTestStringConvertible {
    let header: String?
    let expected: RangeDecision

    init(_ header: String?, _ expected: RangeDecision) {
        self.header = header
        self.expected = expected
    }

    var testDescription: String {
        guard let header else { return "nil → \(self.expected)" }
        let shown = header.count > 80 ? "\(header.prefix(40))… (\(header.utf8.count) bytes)" : header
        return "\(shown.debugDescription) → \(self.expected)"
    }
}

private func range(_ start: UInt64, _ end: UInt64) -> ResolvedByteRange { ResolvedByteRange(start: start, end: end) }

/// Sixteen one-byte ranges with gaps (`0-0,2-2,…`) and the ranges they resolve to.
private func spacedRanges(_ count: Int) -> (header: String, ranges: [ResolvedByteRange]) {
    let ranges = (0..<count).map { range(UInt64($0 * 2), UInt64($0 * 2)) }
    return ("bytes=" + ranges.map(\.description).joined(separator: ","), ranges)
}

@Suite("Range decision (RFC 9110 §14)")
struct RangeDecisionTests {
    static let hundredBytes: [RangeCase] = [
        RangeCase(nil, .full),
        RangeCase("bytes=0-9", .partial(range(0, 9))),
        RangeCase("bytes=10-", .partial(range(10, 99))),
        RangeCase("bytes=-10", .partial(range(90, 99))),
        RangeCase("bytes=-0", .unsatisfiable),
        RangeCase("bytes=-200", .partial(range(0, 99))),
        RangeCase("bytes=-100", .partial(range(0, 99))),
        RangeCase("bytes=99-", .partial(range(99, 99))),
        RangeCase("bytes=100-", .unsatisfiable),
        RangeCase("bytes=1000-", .unsatisfiable),
        RangeCase("bytes=0-99", .partial(range(0, 99))),
        RangeCase("bytes=50-50", .partial(range(50, 50))),
        RangeCase("bytes=90-150", .partial(range(90, 99))),
        // 64-bit edges and numbers that do not fit: no crash; an end clamps, a start is unsatisfiable.
        RangeCase("bytes=0-18446744073709551615", .partial(range(0, 99))),
        RangeCase("bytes=0-18446744073709551616", .partial(range(0, 99))),
        RangeCase("bytes=0-999999999999999999999999999999", .partial(range(0, 99))),
        RangeCase("bytes=18446744073709551615-", .unsatisfiable),
        RangeCase("bytes=18446744073709551616-", .unsatisfiable),
        RangeCase("bytes=18446744073709551616-18446744073709551617", .unsatisfiable),
        RangeCase("bytes=-18446744073709551616", .partial(range(0, 99))),
        RangeCase("bytes=000000000000000000000000000005-000000000000000000000000009", .partial(range(5, 9))),
        // last-pos < first-pos is invalid (§14.1.1), even beyond UInt64: ignore the header.
        RangeCase("bytes=5-2", .full),
        RangeCase("bytes=18446744073709551616-5", .full),
        RangeCase("bytes=18446744073709551617-18446744073709551616", .full),
        // Malformed or another unit: ignore, full 200.
        RangeCase("items=0-5", .full),
        RangeCase("bytes=abc", .full),
        RangeCase("bytes=", .full),
        RangeCase("bytes= , ,", .full),
        RangeCase("bytes", .full),
        RangeCase("=0-5", .full),
        RangeCase("", .full),
        RangeCase("bytes=-", .full),
        RangeCase("bytes=--5", .full),
        RangeCase("bytes=+1-2", .full),
        RangeCase("bytes=1-2-3", .full),
        RangeCase("bytes=0x10-", .full),
        RangeCase("bytes=1 2-3", .full),
        RangeCase("bytes=0-9;q=1", .full),
        RangeCase("bytes==0-5", .full),
        RangeCase("bytes=0-9 bytes=20-29", .full),
        RangeCase("bytes=\u{663}-5", .full),
        RangeCase("by tes=0-5", .full),
        RangeCase("bytes 0-5", .full),
        RangeCase("bytes=0-9,abc", .full),
        RangeCase("bytes=0-9,5-2", .full),
        // Several ranges: multipart in the requested order, unless they overlap or outgrow the file.
        RangeCase("bytes=0-1,5-6", .multipart([range(0, 1), range(5, 6)])),
        RangeCase("bytes=5-6,0-1", .multipart([range(5, 6), range(0, 1)])),
        RangeCase("bytes=0-0,-1", .multipart([range(0, 0), range(99, 99)])),
        RangeCase("bytes=0-4,5-9", .multipart([range(0, 4), range(5, 9)])),
        RangeCase("bytes=0-5,3-8", .full),
        RangeCase("bytes=0-0,0-0", .full),
        RangeCase("bytes=50-,-50", .full),
        RangeCase("bytes=0-,0-", .full),
        RangeCase("bytes=0-60,61-99,-1", .full),
        // Unsatisfiable specs are dropped; only the satisfiable ones are served.
        RangeCase("bytes=200-300,0-9", .partial(range(0, 9))),
        RangeCase("bytes=0-9,200-", .partial(range(0, 9))),
        RangeCase("bytes=-0,50-59", .partial(range(50, 59))),
        RangeCase("bytes=0-1,200-,5-6", .multipart([range(0, 1), range(5, 6)])),
        RangeCase("bytes=200-,300-,-0", .unsatisfiable),
        // OWS around commas (RFC 9110 §5.6.1) and, leniently, around "=" and "-"; empty list elements.
        RangeCase("bytes= 0-9", .partial(range(0, 9))),
        RangeCase("bytes =0-9", .partial(range(0, 9))),
        RangeCase("bytes \t= \t0-9", .partial(range(0, 9))),
        RangeCase(" \tbytes=0-9 \t", .partial(range(0, 9))),
        RangeCase("bytes=0 - 9", .partial(range(0, 9))),
        RangeCase("bytes=- 10", .partial(range(90, 99))),
        RangeCase("bytes=0-1 , 5-6", .multipart([range(0, 1), range(5, 6)])),
        RangeCase("bytes=0-1,\t5-6", .multipart([range(0, 1), range(5, 6)])),
        RangeCase("bytes=,0-9", .partial(range(0, 9))),
        RangeCase("bytes=0-9,,", .partial(range(0, 9))),
        RangeCase("bytes=0-1,,5-6", .multipart([range(0, 1), range(5, 6)])),
        // The unit is case-insensitive (§14.1).
        RangeCase("BYTES=0-9", .partial(range(0, 9))),
        RangeCase("Bytes=-10", .partial(range(90, 99))),
        // The range cap (CVE-2011-3192): 16 specs are served, 17 ignore the header.
        RangeCase(spacedRanges(16).header, .multipart(spacedRanges(16).ranges)),
        RangeCase(spacedRanges(17).header, .full),
        RangeCase(
            "bytes=0-0" + String(repeating: ",", count: 100_000) + "2-2",
            .multipart([range(0, 0), range(2, 2)])
        ),
        RangeCase("bytes=" + String(repeating: "0-0,", count: 10_000), .full),
    ]

    @Test("100-byte representation", arguments: hundredBytes)
    func hundredByteRepresentation(_ testCase: RangeCase) {
        #expect(RangeDecision(rangeHeader: testCase.header, size: 100) == testCase.expected)
    }

    /// A zero-length representation ignores Range altogether, like Go's ServeContent: 200 with an empty body.
    @Test(
        "0-byte representation",
        arguments: [
            "bytes=0-9", "bytes=10-", "bytes=-10", "bytes=-0", "bytes=-200", "bytes=0-0", "bytes=0-", "bytes=-1",
            "bytes=0-18446744073709551615", "bytes=18446744073709551616-", "bytes=5-2", "items=0-5", "bytes=abc",
            "bytes=", "bytes=0-1,5-6", "bytes=0-0,-1", spacedRanges(17).header,
        ]
    )
    func emptyRepresentation(_ header: String) {
        #expect(RangeDecision(rangeHeader: header, size: 0) == .full)
    }

    @Test func oneByteRepresentation() {
        #expect(RangeDecision(rangeHeader: "bytes=0-0,-1", size: 1) == .full)
        #expect(RangeDecision(rangeHeader: "bytes=-5", size: 1) == .partial(range(0, 0)))
        #expect(RangeDecision(rangeHeader: "bytes=1-", size: 1) == .unsatisfiable)
    }

    @Test func largestRepresentation() {
        let size = UInt64.max
        #expect(
            RangeDecision(rangeHeader: "bytes=18446744073709551614-", size: size) == .partial(range(.max - 1, .max - 1))
        )
        #expect(RangeDecision(rangeHeader: "bytes=18446744073709551615-", size: size) == .unsatisfiable)
        #expect(RangeDecision(rangeHeader: "bytes=-99999999999999999999", size: size) == .partial(range(0, .max - 1)))
        // Two near-complete ranges: the sum overflows UInt64, which must read as "too much", not wrap.
        #expect(RangeDecision(rangeHeader: "bytes=0-,1-", size: size) == .full)
    }

    @Test func statusCodesAndContentRange() {
        #expect(RangeDecision.full.statusCode == 200)
        #expect(RangeDecision.partial(range(0, 9)).statusCode == 206)
        #expect(RangeDecision.multipart([range(0, 1), range(5, 6)]).statusCode == 206)
        #expect(RangeDecision.unsatisfiable.statusCode == 416)
        #expect(range(0, 9).contentRange(size: 100) == "bytes 0-9/100")
        #expect(range(0, 9).length == 10)
        #expect(range(.max - 1, .max - 1).length == 1)
        #expect(ResolvedByteRange.unsatisfiedContentRange(size: 100) == "bytes */100")
    }

    @Test func characterClassesMatchTheRFC() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(HTTPFieldSyntax.isTokenCharacter(byte) == tchar.contains(byte), "\(byte)")
            #expect(HTTPFieldSyntax.isDigit(byte) == (48...57).contains(byte), "\(byte)")
            #expect(HTTPFieldSyntax.isWhitespace(byte) == (byte == 32 || byte == 9), "\(byte)")
        }
        #expect(MultipartByteRanges.isValidBoundary("azAZ09'+-._"))
        #expect(!MultipartByteRanges.isValidBoundary("a@") && !MultipartByteRanges.isValidBoundary("a[]{}`"))
    }

    @Test func parserReportsWhyItIgnores() {
        #expect(RangeHeaderParser.parse("items=0-5", maximumRangeCount: 16) == .ignored(.unsupportedUnit))
        #expect(RangeHeaderParser.parse("bytes=5-2", maximumRangeCount: 16) == .ignored(.malformed))
        #expect(RangeHeaderParser.parse(spacedRanges(17).header, maximumRangeCount: 16) == .ignored(.tooManyRanges))
        #expect(
            RangeHeaderParser.parse("bytes=1-,-2,3-4,99999999999999999999-", maximumRangeCount: 16)
                == .byteRanges([
                    .from(first: 1, last: nil), .suffix(length: 2), .from(first: 3, last: 4),
                    .from(first: .max, last: nil),
                ])
        )
    }
}
