import Testing

@testable import StreamServer

private typealias Request = ConditionalRequest

@Suite("Conditional requests (RFC 9110 §13)")
struct ConditionalRequestTests {
    /// `.proceed(honourRange: false)` and `.proceed(honourRange: true)`, short so each case fits on a line.
    static let proceed = ConditionalOutcome.proceed(honourRange: false)
    static let ranged = ConditionalOutcome.proceed(honourRange: true)

    static let cases: [ConditionalCase] = [
        ConditionalCase("no conditions", Request(method: .get), proceed),
        ConditionalCase("Range alone", Request(method: .get, hasRange: true), ranged),
        // If-Match: strong comparison, 412 when false (§13.1.1).
        ConditionalCase("If-Match equal", Request(method: .get, ifMatch: "\"v1\""), proceed),
        ConditionalCase("If-Match other", Request(method: .get, ifMatch: "\"v2\""), .preconditionFailed),
        ConditionalCase(
            "If-Match list",
            Request(method: .get, ifMatch: "\"v2\", \"v1\""),
            proceed
        ),
        ConditionalCase("If-Match *", Request(method: .get, ifMatch: "*"), proceed),
        ConditionalCase("If-Match weak tag", Request(method: .get, ifMatch: "W/\"v1\""), .preconditionFailed),
        ConditionalCase("If-Match unquoted", Request(method: .get, ifMatch: "v1"), .preconditionFailed),
        ConditionalCase("If-Match trailing junk", Request(method: .get, ifMatch: "\"v1\" x"), .preconditionFailed),
        ConditionalCase("If-Match blank = absent", Request(method: .get, ifMatch: " "), proceed),
        ConditionalCase(
            "If-Match vs weak ETag",
            Request(method: .get, ifMatch: "\"v1\""),
            .preconditionFailed,
            validators: ConditionalFixture.weakValidators
        ),
        ConditionalCase(
            "If-Match * vs weak ETag",
            Request(method: .get, ifMatch: "*"),
            proceed,
            validators: ConditionalFixture.weakValidators
        ),
        ConditionalCase(
            "If-Match without ETag",
            Request(method: .get, ifMatch: "\"v1\""),
            .preconditionFailed,
            validators: ConditionalFixture.noValidators
        ),
        ConditionalCase(
            "If-Match passing hides If-Unmodified-Since",
            Request(method: .get, ifMatch: "\"v1\"", ifUnmodifiedSince: ConditionalFixture.earlier),
            proceed
        ),
        ConditionalCase(
            "If-Match before If-None-Match",
            Request(method: .get, ifMatch: "\"v2\"", ifNoneMatch: "\"v1\""),
            .preconditionFailed
        ),
        // If-Unmodified-Since (§13.1.4).
        ConditionalCase(
            "IUS equal",
            Request(method: .get, ifUnmodifiedSince: ConditionalFixture.imf),
            proceed
        ),
        ConditionalCase(
            "IUS later",
            Request(method: .get, ifUnmodifiedSince: ConditionalFixture.later),
            proceed
        ),
        ConditionalCase(
            "IUS earlier",
            Request(method: .get, ifUnmodifiedSince: ConditionalFixture.earlier),
            .preconditionFailed
        ),
        ConditionalCase(
            "IUS asctime earlier",
            Request(method: .get, ifUnmodifiedSince: "Sun Nov  6 08:49:36 1994"),
            .preconditionFailed
        ),
        ConditionalCase(
            "IUS invalid",
            Request(method: .get, ifUnmodifiedSince: "yesterday"),
            proceed
        ),
        ConditionalCase(
            "IUS list ignored",
            Request(method: .get, ifUnmodifiedSince: "\(ConditionalFixture.earlier), \(ConditionalFixture.earlier)"),
            proceed
        ),
        ConditionalCase(
            "IUS without Last-Modified",
            Request(method: .get, ifUnmodifiedSince: ConditionalFixture.earlier),
            proceed,
            validators: ConditionalFixture.noValidators
        ),
        ConditionalCase(
            "IUS before If-None-Match",
            Request(method: .get, ifNoneMatch: "\"v1\"", ifUnmodifiedSince: ConditionalFixture.earlier),
            .preconditionFailed
        ),
        // If-None-Match: weak comparison, 304 for GET/HEAD, 412 otherwise (§13.1.2).
        ConditionalCase("INM equal GET", Request(method: .get, ifNoneMatch: "\"v1\""), .notModified),
        ConditionalCase("INM equal HEAD", Request(method: .head, ifNoneMatch: "\"v1\""), .notModified),
        ConditionalCase("INM equal POST", Request(method: .other, ifNoneMatch: "\"v1\""), .preconditionFailed),
        ConditionalCase("INM weak tag", Request(method: .get, ifNoneMatch: "W/\"v1\""), .notModified),
        ConditionalCase("INM other", Request(method: .get, ifNoneMatch: "\"v2\""), proceed),
        ConditionalCase("INM list", Request(method: .get, ifNoneMatch: "\"v2\" ,W/\"v1\""), .notModified),
        ConditionalCase("INM *", Request(method: .get, ifNoneMatch: "*"), .notModified),
        ConditionalCase("INM malformed", Request(method: .get, ifNoneMatch: "\"v1"), proceed),
        ConditionalCase(
            "INM * in a list",
            Request(method: .get, ifNoneMatch: "\"v2\", *"),
            proceed
        ),
        ConditionalCase(
            "INM vs weak ETag",
            Request(method: .get, ifNoneMatch: "\"v1\""),
            .notModified,
            validators: ConditionalFixture.weakValidators
        ),
        ConditionalCase(
            "INM without ETag",
            Request(method: .get, ifNoneMatch: "\"v1\""),
            proceed,
            validators: ConditionalFixture.noValidators
        ),
        ConditionalCase(
            "INM present hides If-Modified-Since",
            Request(method: .get, ifNoneMatch: "\"v2\"", ifModifiedSince: ConditionalFixture.later),
            proceed
        ),
        ConditionalCase(
            "malformed INM still hides If-Modified-Since",
            Request(method: .get, ifNoneMatch: "v1", ifModifiedSince: ConditionalFixture.imf),
            proceed
        ),
        // If-Modified-Since: GET/HEAD only, only without If-None-Match (§13.1.3).
        ConditionalCase("IMS equal", Request(method: .get, ifModifiedSince: ConditionalFixture.imf), .notModified),
        ConditionalCase("IMS later", Request(method: .head, ifModifiedSince: ConditionalFixture.later), .notModified),
        ConditionalCase(
            "IMS earlier",
            Request(method: .get, ifModifiedSince: ConditionalFixture.earlier),
            proceed
        ),
        ConditionalCase("IMS RFC 850", Request(method: .get, ifModifiedSince: ConditionalFixture.rfc850), .notModified),
        ConditionalCase(
            "IMS asctime",
            Request(method: .get, ifModifiedSince: ConditionalFixture.asctime),
            .notModified
        ),
        ConditionalCase(
            "IMS invalid",
            Request(method: .get, ifModifiedSince: "Sun, 06 Nov 1994"),
            proceed
        ),
        ConditionalCase(
            "IMS on POST",
            Request(method: .other, ifModifiedSince: ConditionalFixture.imf),
            proceed
        ),
        ConditionalCase(
            "IMS list ignored",
            Request(method: .get, ifModifiedSince: "\(ConditionalFixture.imf), \(ConditionalFixture.imf)"),
            proceed
        ),
        ConditionalCase(
            "IMS without Last-Modified",
            Request(method: .get, ifModifiedSince: ConditionalFixture.imf),
            proceed,
            validators: ConditionalFixture.noValidators
        ),
        ConditionalCase(
            "304 wins over Range",
            Request(method: .get, ifModifiedSince: ConditionalFixture.imf, hasRange: true),
            .notModified
        ),
        // If-Range: strong comparison only, date equal to Last-Modified (§13.1.5).
        ConditionalCase(
            "If-Range strong",
            Request(method: .get, ifRange: "\"v1\"", hasRange: true),
            ranged
        ),
        ConditionalCase(
            "If-Range other tag",
            Request(method: .get, ifRange: "\"v2\"", hasRange: true),
            proceed
        ),
        ConditionalCase(
            "If-Range weak tag",
            Request(method: .get, ifRange: "W/\"v1\"", hasRange: true),
            proceed
        ),
        ConditionalCase(
            "If-Range vs weak ETag",
            Request(method: .get, ifRange: "\"v1\"", hasRange: true),
            proceed,
            validators: ConditionalFixture.weakValidators
        ),
        ConditionalCase(
            "If-Range weak vs weak ETag",
            Request(method: .get, ifRange: "W/\"v1\"", hasRange: true),
            proceed,
            validators: ConditionalFixture.weakValidators
        ),
        ConditionalCase(
            "If-Range date equal",
            Request(method: .get, ifRange: ConditionalFixture.imf, hasRange: true),
            ranged
        ),
        ConditionalCase(
            "If-Range RFC 850 equal",
            Request(method: .get, ifRange: ConditionalFixture.rfc850, hasRange: true),
            ranged
        ),
        ConditionalCase(
            "If-Range date later",
            Request(method: .get, ifRange: ConditionalFixture.later, hasRange: true),
            proceed
        ),
        ConditionalCase(
            "If-Range date earlier",
            Request(method: .get, ifRange: ConditionalFixture.earlier, hasRange: true),
            proceed
        ),
        ConditionalCase(
            "If-Range date vs weak ETag",
            Request(method: .get, ifRange: ConditionalFixture.imf, hasRange: true),
            ranged,
            validators: ConditionalFixture.weakValidators
        ),
        ConditionalCase(
            "If-Range garbage",
            Request(method: .get, ifRange: "v1", hasRange: true),
            proceed
        ),
        ConditionalCase(
            "If-Range *",
            Request(method: .get, ifRange: "*", hasRange: true),
            proceed
        ),
        ConditionalCase(
            "If-Range list",
            Request(method: .get, ifRange: "\"v1\", \"v2\"", hasRange: true),
            proceed
        ),
        ConditionalCase(
            "If-Range blank",
            Request(method: .get, ifRange: "", hasRange: true),
            ranged
        ),
        ConditionalCase(
            "If-Range without Range",
            Request(method: .get, ifRange: "\"v1\""),
            proceed
        ),
        ConditionalCase(
            "Range on HEAD",
            Request(method: .head, ifRange: "\"v1\"", hasRange: true),
            ranged
        ),
        ConditionalCase("Range on POST", Request(method: .other, hasRange: true), proceed),
        ConditionalCase(
            "If-Range tag without ETag",
            Request(method: .get, ifRange: "\"v1\"", hasRange: true),
            proceed,
            validators: ConditionalFixture.noValidators
        ),
        ConditionalCase(
            "If-Range date without Last-Modified",
            Request(method: .get, ifRange: ConditionalFixture.imf, hasRange: true),
            proceed,
            validators: ConditionalFixture.noValidators
        ),
    ]

    @Test("table", arguments: cases)
    func table(_ testCase: ConditionalCase) {
        #expect(testCase.request.evaluate(against: testCase.validators) == testCase.expected)
    }
}
