import Foundation
import Testing

@testable import SignedURL

/// The canonical requests and strings to sign of the AWS SigV4 test suite, compared as text so that
/// a mismatch shows which line differs. Fixtures and sources as in ``AWSTestSuiteVectorTests``.
@Suite("AWS SigV4 test suite: canonical requests")
struct AWSTestSuiteCanonicalRequestTests {
    @Test("get-vanilla: canonical request and string to sign (header form)")
    func getVanillaCanonicalRequest() {
        let signing = AWSTestSuiteVectorTests.signer().signHeaders(
            method: "GET",
            url: "https://example.amazonaws.com/",
            headers: [],
            payload: .sha256(hex: AWSTestSuiteVectorTests.emptyHash),
            date: AWSTestSuiteVectorTests.date,
            includeContentSHA256Header: false
        ).signing
        // get-vanilla.creq
        #expect(
            signing.canonicalRequest == """
                GET
                /

                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                host;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """
        )
        // get-vanilla.sts
        #expect(
            signing.stringToSign == """
                AWS4-HMAC-SHA256
                20150830T123600Z
                20150830/us-east-1/service/aws4_request
                bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63
                """
        )
    }

    @Test("get-utf8: canonical request keeps the path percent-encoded once")
    func getUTF8CanonicalRequest() {
        let signing = AWSTestSuiteVectorTests.signer().signHeaders(
            method: "GET",
            url: "https://example.amazonaws.com/ሴ",  // raw, as in get-utf8.req; canonicalised on signing
            headers: [],
            payload: .sha256(hex: AWSTestSuiteVectorTests.emptyHash),
            date: AWSTestSuiteVectorTests.date,
            includeContentSHA256Header: false
        ).signing
        // get-utf8.creq
        #expect(
            signing.canonicalRequest == """
                GET
                /%E1%88%B4

                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                host;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """
        )
        #expect(signing.signature == "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85")
    }

    @Test("post-x-www-form-urlencoded (botocore): canonical request")
    func formCanonicalRequest() {
        let signing = AWSTestSuiteVectorTests.signer().signHeaders(
            method: "POST",
            url: "https://example.amazonaws.com/",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            payload: .sha256(hex: AWSTestSuiteVectorTests.formBodyHash),
            date: AWSTestSuiteVectorTests.date,
            includeContentSHA256Header: false
        ).signing
        // post-x-www-form-urlencoded.creq
        #expect(
            signing.canonicalRequest == """
                POST
                /

                content-type:application/x-www-form-urlencoded
                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                content-type;host;x-amz-date
                9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e
                """
        )
    }

    @Test("get-vanilla-query-order-key-case: presigned canonical request and URL")
    func presignedCanonicalRequest() throws {
        let result = try AWSTestSuiteVectorTests.signer().presign(
            method: "GET",
            url: "https://example.amazonaws.com/?Param2=value2&Param1=value1",
            expires: 3600,
            date: AWSTestSuiteVectorTests.date,
            additionalSignedHeaders: [],
            payload: .sha256(hex: AWSTestSuiteVectorTests.emptyHash)
        )
        // get-vanilla-query-order-key-case/query-canonical-request.txt
        #expect(
            result.signing.canonicalRequest == """
                GET
                /
                Param1=value1&Param2=value2&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
                host:example.amazonaws.com

                host
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """
        )
        // query-string-to-sign.txt
        #expect(
            result.signing.stringToSign == """
                AWS4-HMAC-SHA256
                20150830T123600Z
                20150830/us-east-1/service/aws4_request
                b82878ecb2ab7ad194b9fe79b2946c2a36ee1627a219408089b2d774c1a0cedb
                """
        )
        #expect(
            result.url
                == "https://example.amazonaws.com/?Param1=value1&Param2=value2&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request"
                + "&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5"
        )
    }

    @Test("post-x-www-form-urlencoded: presigned canonical request signs the extra headers")
    func presignedFormCanonicalRequest() throws {
        let result = try AWSTestSuiteVectorTests.signer().presign(
            method: "POST",
            url: "https://example.amazonaws.com/",
            expires: 3600,
            date: AWSTestSuiteVectorTests.date,
            additionalSignedHeaders: [("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", "13")],
            payload: .sha256(hex: AWSTestSuiteVectorTests.formBodyHash)
        )
        // post-x-www-form-urlencoded/query-canonical-request.txt
        #expect(
            result.signing.canonicalRequest == """
                POST
                /
                X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost
                content-length:13
                content-type:application/x-www-form-urlencoded
                host:example.amazonaws.com

                content-length;content-type;host
                9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e
                """
        )
    }

    @Test("get-vanilla-with-session-token: the token is signed into the presigned query")
    func presignedSessionTokenCanonicalRequest() throws {
        let result = try AWSTestSuiteVectorTests.signer(sessionToken: AWSTestSuiteVectorTests.sessionToken).presign(
            method: "GET",
            url: "https://example.amazonaws.com/",
            expires: 3600,
            date: AWSTestSuiteVectorTests.date,
            additionalSignedHeaders: [],
            payload: .sha256(hex: AWSTestSuiteVectorTests.emptyHash)
        )
        // get-vanilla-with-session-token/query-canonical-request.txt
        #expect(
            result.signing.canonicalRequest == """
                GET
                /
                X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-Security-Token=6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267&X-Amz-SignedHeaders=host
                host:example.amazonaws.com

                host
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """
        )
        #expect(
            result.url.contains(
                "&X-Amz-Security-Token=6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267&"
            )
        )
    }
}
