import Testing

@testable import StreamServer

struct ConditionalCase: Sendable, CustomTestStringConvertible {
    let name: String
    let request: ConditionalRequest
    let validators: RepresentationValidators
    let expected: ConditionalOutcome

    init(
        _ name: String,
        _ request: ConditionalRequest,
        _ expected: ConditionalOutcome,
        validators: RepresentationValidators = ConditionalFixture.validators
    ) {
        self.name = name
        self.request = request
        self.validators = validators
        self.expected = expected
    }

    var testDescription: String { self.name }
}

enum ConditionalFixture {
    static let lastModified = HTTPDate(secondsSince1970: 784_111_777)
    static let imf = "Sun, 06 Nov 1994 08:49:37 GMT"
    static let rfc850 = "Sunday, 06-Nov-94 08:49:37 GMT"
    static let asctime = "Sun Nov  6 08:49:37 1994"
    static let earlier = "Sun, 06 Nov 1994 08:49:36 GMT"
    static let later = "Sun, 06 Nov 1994 08:49:38 GMT"
    static let strongTag = EntityTag(opaqueTag: "v1")!
    static let weakTag = EntityTag(opaqueTag: "v1", isWeak: true)!
    static let validators = RepresentationValidators(entityTag: strongTag, lastModified: lastModified)
    static let weakValidators = RepresentationValidators(entityTag: weakTag, lastModified: lastModified)
    static let noValidators = RepresentationValidators()
}

private typealias Request = ConditionalRequest

@Suite("Conditional request order (RFC 9110 §13.2.2)")
struct ConditionalRequestOrderTests {
    /// Every combination of absent / passing / failing conditions, methods and Range, against the §13.2.2 order
    /// written out in its plainest form.
    @Test func everyCombinationFollowsTheRFCOrder() {
        let ifMatch: [String?] = [nil, "\"v1\"", "\"v2\""]
        let ifUnmodifiedSince: [String?] = [nil, ConditionalFixture.later, ConditionalFixture.earlier]
        let ifNoneMatch: [String?] = [nil, "W/\"v1\"", "\"v2\""]
        let ifModifiedSince: [String?] = [nil, ConditionalFixture.imf, ConditionalFixture.earlier]
        let ifRange: [String?] = [nil, "\"v1\"", ConditionalFixture.later]
        var count = 0
        for im in ifMatch {
            for ius in ifUnmodifiedSince {
                for inm in ifNoneMatch {
                    for ims in ifModifiedSince {
                        for ir in ifRange {
                            for hasRange in [false, true] {
                                for method in [Request.Method.get, .head, .other] {
                                    let request = Request(
                                        method: method,
                                        ifMatch: im,
                                        ifNoneMatch: inm,
                                        ifModifiedSince: ims,
                                        ifUnmodifiedSince: ius,
                                        ifRange: ir,
                                        hasRange: hasRange
                                    )
                                    let expected: ConditionalOutcome
                                    let getOrHead = method != .other
                                    if let im, im != "\"v1\"" {
                                        expected = .preconditionFailed
                                    } else if im == nil, ius == ConditionalFixture.earlier {
                                        expected = .preconditionFailed
                                    } else if let inm, inm == "W/\"v1\"" {
                                        expected = getOrHead ? .notModified : .preconditionFailed
                                    } else if inm == nil, getOrHead, ims == ConditionalFixture.imf {
                                        expected = .notModified
                                    } else {
                                        expected = .proceed(
                                            honourRange: hasRange && getOrHead && (ir == nil || ir == "\"v1\"")
                                        )
                                    }
                                    #expect(
                                        request.evaluate(against: ConditionalFixture.validators) == expected,
                                        "\(request)"
                                    )
                                    count += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(count == 1458)
    }
}
