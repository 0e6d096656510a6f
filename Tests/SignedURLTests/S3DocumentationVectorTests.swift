import Crypto
import Foundation
import Testing

@testable import SignedURL

/// The worked examples of the Amazon S3 API Reference: "Signature Calculations for the Authorization
/// Header: Transferring Payload in a Single Chunk" (sig-v4-header-based-auth) and "Authenticating
/// Requests: Using Query Parameters" (sigv4-query-string-auth).
///
/// Credentials AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, bucket examplebucket,
/// us-east-1, 20130524T000000Z. The signatures, canonical requests and the hashes on the last line of
/// each StringToSign are copied from the documentation, not computed here; each quoted canonical
/// request is also checked to hash to the documented StringToSign line, so a typo in a quote fails.
@Suite("S3 documentation examples")
struct S3DocumentationVectorTests {
    static let signer = SigV4Signer(
        credentials: AWSCredentials(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE",
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ),
        region: "us-east-1"
    )
    /// 2013-05-24T00:00:00Z.
    static let date = Date(timeIntervalSince1970: 1_369_353_600)
    static let origin = "https://examplebucket.s3.amazonaws.com"

    static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func expectStringToSign(_ signing: SigV4Signer.Signing, canonicalRequestHash: String) {
        #expect(
            signing.stringToSign == """
                AWS4-HMAC-SHA256
                20130524T000000Z
                20130524/us-east-1/s3/aws4_request
                \(canonicalRequestHash)
                """
        )
    }

    @Test("Example: GET Object (Range: bytes=0-9)")
    func getObject() {
        let canonical = """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """
        let documentedHash = "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
        #expect(Self.sha256Hex(canonical) == documentedHash)

        let (signing, added) = Self.signer.signHeaders(
            method: "GET",
            url: Self.origin + "/test.txt",
            headers: [("Range", "bytes=0-9")],
            payload: .empty,
            date: Self.date,
            includeContentSHA256Header: true
        )
        #expect(signing.canonicalRequest == canonical)
        Self.expectStringToSign(signing, canonicalRequestHash: documentedHash)
        #expect(signing.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        // The documentation writes no space after the commas; AWS accepts both forms.
        #expect(
            added.first { $0.name == "authorization" }?.value
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
        #expect(
            added.first { $0.name == "x-amz-content-sha256" }?.value
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
    }

    @Test("Example: PUT Object (test$file.text, storage class, signed body)")
    func putObject() {
        let bodyHash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        #expect(PayloadHash.hashing(Array("Welcome to Amazon S3.".utf8)) == .sha256(hex: bodyHash))

        let canonical = """
            PUT
            /test%24file.text

            date:Fri, 24 May 2013 00:00:00 GMT
            host:examplebucket.s3.amazonaws.com
            x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
            x-amz-date:20130524T000000Z
            x-amz-storage-class:REDUCED_REDUNDANCY

            date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class
            44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
            """
        let documentedHash = "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"
        #expect(Self.sha256Hex(canonical) == documentedHash)

        let (signing, _) = Self.signer.signHeaders(
            method: "PUT",
            url: Self.origin + AWSURIEncoding.encodePath("/test$file.text"),
            headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
            payload: .sha256(hex: bodyHash),
            date: Self.date,
            includeContentSHA256Header: true
        )
        #expect(signing.canonicalRequest == canonical)
        Self.expectStringToSign(signing, canonicalRequestHash: documentedHash)
        #expect(signing.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test("Example: GET Bucket Lifecycle (?lifecycle)")
    func getBucketLifecycle() {
        let canonical = """
            GET
            /
            lifecycle=
            host:examplebucket.s3.amazonaws.com
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """
        let documentedHash = "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca"
        #expect(Self.sha256Hex(canonical) == documentedHash)

        let signed = Self.signer.signedHeaders(
            method: "GET",
            url: Self.origin + "/?lifecycle",
            headers: [],
            payload: .empty,
            date: Self.date
        )
        let (signing, _) = Self.signer.signHeaders(
            method: "GET",
            url: Self.origin + "/?lifecycle",
            headers: [],
            payload: .empty,
            date: Self.date,
            includeContentSHA256Header: true
        )
        #expect(signing.canonicalRequest == canonical)
        Self.expectStringToSign(signing, canonicalRequestHash: documentedHash)
        #expect(signing.signature == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
        #expect(
            signed.first { $0.name == "authorization" }?.value.hasSuffix(
                "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
            ) == true
        )
    }

    @Test("Example: Get Bucket (List Objects) (?max-keys=2&prefix=J)")
    func listObjects() {
        let canonical = """
            GET
            /
            max-keys=2&prefix=J
            host:examplebucket.s3.amazonaws.com
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """
        let documentedHash = "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7"
        #expect(Self.sha256Hex(canonical) == documentedHash)

        // Given out of order: the canonical query sorts them.
        let (signing, _) = Self.signer.signHeaders(
            method: "GET",
            url: Self.origin + "/?prefix=J&max-keys=2",
            headers: [],
            payload: .empty,
            date: Self.date,
            includeContentSHA256Header: true
        )
        #expect(signing.canonicalRequest == canonical)
        Self.expectStringToSign(signing, canonicalRequestHash: documentedHash)
        #expect(signing.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test("Example: presigned GET /test.txt valid for 86400 seconds")
    func presignedGetObject() throws {
        let canonical = """
            GET
            /test.txt
            X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host
            host:examplebucket.s3.amazonaws.com

            host
            UNSIGNED-PAYLOAD
            """
        let documentedHash = "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04"
        #expect(Self.sha256Hex(canonical) == documentedHash)

        let result = try Self.signer.presign(
            method: "GET",
            url: Self.origin + "/test.txt",
            expires: 86_400,
            date: Self.date,
            additionalSignedHeaders: [],
            payload: .unsigned
        )
        #expect(result.signing.canonicalRequest == canonical)
        Self.expectStringToSign(result.signing, canonicalRequestHash: documentedHash)

        let url = try Self.signer.presignedURL(
            method: "GET",
            url: Self.origin + "/test.txt",
            expires: 86_400,
            date: Self.date
        )
        #expect(
            url
                == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        )
    }
}
