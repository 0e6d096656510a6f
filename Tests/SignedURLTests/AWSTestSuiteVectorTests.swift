import Foundation
import Testing

@testable import SignedURL

/// The generic AWS SigV4 test suite, as vendored by botocore (`tests/unit/auth/aws4_testsuite`,
/// header signing, no `x-amz-content-sha256`) and by aws-c-auth (`tests/aws-signing-test-suite/v4`,
/// which adds `header-*` and presigned `query-*` variants). Every expected value below is copied
/// from those files; none is computed by the code under test.
///
/// Credentials AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, us-east-1, service
/// "service", 20150830T123600Z. The suite normalises paths, S3 does not; these cases have no `.`
/// or `//` segments, so both agree.
@Suite("AWS SigV4 test suite")
struct AWSTestSuiteVectorTests {
    static let credentials = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    )
    static let sessionToken = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
    /// 2015-08-30T12:36:00Z.
    static let date = Date(timeIntervalSince1970: 1_440_938_160)
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// SHA-256 of `Param1=value1`, the body of post-x-www-form-urlencoded (from its .creq).
    static let formBodyHash = "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"

    static func signer(sessionToken: String? = nil) -> SigV4Signer {
        var credentials = Self.credentials
        credentials.sessionToken = sessionToken
        return SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
    }

    struct HeaderVector: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var url: String
        var headers: [(name: String, value: String)] = []
        var payload: PayloadHash = .sha256(hex: AWSTestSuiteVectorTests.emptyHash)
        var includeContentSHA256Header = false
        var sessionToken: String? = nil
        var signedHeaders: String
        var signature: String
        var testDescription: String { self.name }
    }

    static let headerVectors: [HeaderVector] = [
        HeaderVector(
            name: "get-vanilla",
            method: "GET",
            url: "https://example.amazonaws.com/",
            signedHeaders: "host;x-amz-date",
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        ),
        HeaderVector(
            name: "get-unreserved",
            method: "GET",
            url: "https://example.amazonaws.com/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            signedHeaders: "host;x-amz-date",
            signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"
        ),
        HeaderVector(
            name: "get-utf8",
            method: "GET",
            url: "https://example.amazonaws.com" + AWSURIEncoding.encodePath("/ሴ"),
            signedHeaders: "host;x-amz-date",
            signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"
        ),
        HeaderVector(
            name: "get-vanilla-query-order-key-case",
            method: "GET",
            url: "https://example.amazonaws.com/?Param2=value2&Param1=value1",
            signedHeaders: "host;x-amz-date",
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        ),
        HeaderVector(
            name: "get-vanilla-query-order-value",
            method: "GET",
            url: "https://example.amazonaws.com/?Param1=value2&Param1=value1",
            signedHeaders: "host;x-amz-date",
            signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"
        ),
        HeaderVector(
            name: "get-vanilla-query-order-encoded",
            method: "GET",
            url: "https://example.amazonaws.com/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
            signedHeaders: "host;x-amz-date",
            signature: "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"
        ),
        HeaderVector(
            name: "get-vanilla-utf8-query",
            method: "GET",
            url: "https://example.amazonaws.com/?" + AWSURIEncoding.canonicalQuery([("ሴ", "bar")]),
            signedHeaders: "host;x-amz-date",
            signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"
        ),
        HeaderVector(
            name: "get-vanilla-query-unreserved",
            method: "GET",
            url: "https://example.amazonaws.com/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                + "=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            signedHeaders: "host;x-amz-date",
            signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"
        ),
        HeaderVector(
            name: "get-header-value-trim",
            method: "GET",
            url: "https://example.amazonaws.com/",
            headers: [("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
            signedHeaders: "host;my-header1;my-header2;x-amz-date",
            signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"
        ),
        HeaderVector(
            name: "post-vanilla",
            method: "POST",
            url: "https://example.amazonaws.com/",
            signedHeaders: "host;x-amz-date",
            signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        ),
        // botocore's copy: the body hash is signed but no x-amz-content-sha256 header is sent.
        HeaderVector(
            name: "post-x-www-form-urlencoded (botocore)",
            method: "POST",
            url: "https://example.amazonaws.com/",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            payload: .sha256(hex: AWSTestSuiteVectorTests.formBodyHash),
            signedHeaders: "content-type;host;x-amz-date",
            signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
        ),
        // aws-c-auth's copy ("sign_body": true): Content-Length signed and x-amz-content-sha256 added.
        HeaderVector(
            name: "post-x-www-form-urlencoded (aws-c-auth)",
            method: "POST",
            url: "https://example.amazonaws.com/",
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", "13")],
            payload: .sha256(hex: AWSTestSuiteVectorTests.formBodyHash),
            includeContentSHA256Header: true,
            signedHeaders: "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
            signature: "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"
        ),
        HeaderVector(
            name: "get-vanilla-with-session-token",
            method: "GET",
            url: "https://example.amazonaws.com/",
            sessionToken: AWSTestSuiteVectorTests.sessionToken,
            signedHeaders: "host;x-amz-date;x-amz-security-token",
            signature: "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"
        ),
    ]

    @Test("header-signed vectors", arguments: Self.headerVectors)
    func headerSigned(_ vector: HeaderVector) {
        let added = Self.signer(sessionToken: vector.sessionToken).signedHeaders(
            method: vector.method,
            url: vector.url,
            headers: vector.headers,
            payload: vector.payload,
            date: Self.date,
            includeContentSHA256Header: vector.includeContentSHA256Header
        )
        let authorization = added.first { $0.name == "authorization" }?.value
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=\(vector.signedHeaders), Signature=\(vector.signature)"
        )
        #expect(added.first { $0.name == "x-amz-date" }?.value == "20150830T123600Z")
        #expect(added.contains { $0.name == "x-amz-content-sha256" } == vector.includeContentSHA256Header)
        #expect(added.first { $0.name == "x-amz-security-token" }?.value == vector.sessionToken)
    }

    struct QueryVector: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var url: String
        var headers: [(name: String, value: String)] = []
        var payload: PayloadHash = .sha256(hex: AWSTestSuiteVectorTests.emptyHash)
        var sessionToken: String? = nil
        var signature: String
        var testDescription: String { self.name }
    }

    /// aws-c-auth's `query-signature.txt` files: presigned with X-Amz-Expires=3600. Unlike S3, the
    /// generic suite signs the empty-body hash rather than UNSIGNED-PAYLOAD.
    static let queryVectors: [QueryVector] = [
        QueryVector(
            name: "get-vanilla",
            method: "GET",
            url: "https://example.amazonaws.com/",
            signature: "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d"
        ),
        QueryVector(
            name: "get-unreserved",
            method: "GET",
            url: "https://example.amazonaws.com/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            signature: "95968482db1b9e0fadef6efc1bd24689f77c77d9ef56919c96a28cc92e0d6005"
        ),
        QueryVector(
            name: "get-utf8",
            method: "GET",
            url: "https://example.amazonaws.com" + AWSURIEncoding.encodePath("/ሴ"),
            signature: "10eae3f14a260bd3911cc6d008d3c576d143b05b62f09782a7a4b37f52178e44"
        ),
        QueryVector(
            name: "get-vanilla-query-order-key-case",
            method: "GET",
            url: "https://example.amazonaws.com/?Param2=value2&Param1=value1",
            signature: "86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5"
        ),
        QueryVector(
            name: "post-vanilla",
            method: "POST",
            url: "https://example.amazonaws.com/",
            signature: "2ce6e6d2e0cf2f9d1b55fafec88cd20574c31dc2e7631979f71ba2310083e95b"
        ),
        QueryVector(
            name: "post-x-www-form-urlencoded",
            method: "POST",
            url: "https://example.amazonaws.com/",
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", "13")],
            payload: .sha256(hex: AWSTestSuiteVectorTests.formBodyHash),
            signature: "89a40deed0f26f9461242825a082d2222717248abc7ab41f552ad84a94ad46e9"
        ),
        QueryVector(
            name: "get-vanilla-with-session-token",
            method: "GET",
            url: "https://example.amazonaws.com/",
            sessionToken: AWSTestSuiteVectorTests.sessionToken,
            signature: "7ff2b50b376cb4d151970630573d6291dc128cc5c2a12ffb237f73cc53f67b6c"
        ),
    ]

    @Test("presigned (query-signed) vectors", arguments: Self.queryVectors)
    func querySigned(_ vector: QueryVector) throws {
        let url = try Self.signer(sessionToken: vector.sessionToken).presignedURL(
            method: vector.method,
            url: vector.url,
            expires: 3600,
            date: Self.date,
            additionalSignedHeaders: vector.headers,
            payload: vector.payload
        )
        #expect(url.hasSuffix("&X-Amz-Signature=\(vector.signature)"))
    }
}
