import Foundation
import Testing

@testable import SignedURL

@Suite("SigV4Signer behaviour")
struct SigV4SignerTests {
    static let credentials = AWSCredentials(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    )
    static let signer = SigV4Signer(credentials: credentials, region: "us-east-1")
    static let date = Date(timeIntervalSince1970: 1_369_353_600)
    static let url = "https://examplebucket.s3.amazonaws.com/test.txt"
    /// The S3 documentation's presigned GET /test.txt (86400 s) signature.
    static let documentedPresignSignature = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"

    @Test("expires outside 1...604800 is a clear error", arguments: [Int.min, -1, 0, 604_801, Int.max])
    func expiresOutOfRange(_ expires: Int) {
        #expect(throws: SigV4Error.expiresOutOfRange) {
            try Self.signer.presignedURL(method: "GET", url: Self.url, expires: expires, date: Self.date)
        }
        do {
            _ = try Self.signer.presignedURL(method: "GET", url: Self.url, expires: expires, date: Self.date)
        } catch {
            #expect(
                "\(error)" == "SigV4Error: expires must be between 1 and 604800 seconds (got \(expires))"
            )
        }
    }

    @Test("expires at the bounds is accepted", arguments: [1, 604_800])
    func expiresAtBounds(_ expires: Int) throws {
        let url = try Self.signer.presignedURL(method: "GET", url: Self.url, expires: expires, date: Self.date)
        #expect(url.contains("&X-Amz-Expires=\(expires)&"))
    }

    @Test("a URL without scheme and host cannot be presigned", arguments: ["/test.txt", "", "https:///test.txt"])
    func invalidURL(_ url: String) {
        #expect(throws: SigV4Error.invalidURL) {
            try Self.signer.presignedURL(method: "GET", url: url, expires: 60, date: Self.date)
        }
        #expect(SigV4Error.invalidURL != SigV4Error.expiresOutOfRange)
    }

    @Test("a session token is signed and sent as X-Amz-Security-Token")
    func sessionToken() throws {
        var credentials = Self.credentials
        credentials.sessionToken = "token/with+special=chars"
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1")

        let result = try signer.presign(
            method: "GET",
            url: Self.url,
            expires: 3600,
            date: Self.date,
            additionalSignedHeaders: [],
            payload: .unsigned
        )
        #expect(result.url.contains("&X-Amz-Security-Token=token%2Fwith%2Bspecial%3Dchars&X-Amz-SignedHeaders=host&"))
        #expect(result.signing.canonicalRequest.contains("X-Amz-Security-Token=token%2Fwith%2Bspecial%3Dchars"))
        #expect(!result.url.hasSuffix(Self.documentedPresignSignature))

        let added = signer.signedHeaders(method: "GET", url: Self.url, headers: [], payload: .empty, date: Self.date)
        #expect(added.map(\.name) == ["x-amz-date", "x-amz-content-sha256", "x-amz-security-token", "authorization"])
        #expect(added[2].value == "token/with+special=chars")
        #expect(added[3].value.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"))

        let plain = Self.signer.signedHeaders(
            method: "GET",
            url: Self.url,
            headers: [],
            payload: .empty,
            date: Self.date
        )
        #expect(plain.map(\.name) == ["x-amz-date", "x-amz-content-sha256", "authorization"])
    }

    @Test("extra query parameters such as response-content-disposition are signed")
    func extraQueryParameters() throws {
        let disposition = AWSURIEncoding.canonicalQuery([
            ("response-content-disposition", "attachment; filename=\"Track 01.mp3\"")
        ])
        let result = try Self.signer.presign(
            method: "GET",
            url: Self.url + "?" + disposition,
            expires: 86_400,
            date: Self.date,
            additionalSignedHeaders: [],
            payload: .unsigned
        )
        let expectedQuery =
            "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            + "&response-content-disposition=attachment%3B%20filename%3D%22Track%2001.mp3%22"
        #expect(result.signing.canonicalRequest.contains("\n" + expectedQuery + "\n"))
        #expect(result.url.hasPrefix(Self.url + "?" + expectedQuery + "&X-Amz-Signature="))
        #expect(!result.url.hasSuffix(Self.documentedPresignSignature))
    }

    @Test("the method is signed: HEAD and GET URLs differ")
    func methodIsSigned() throws {
        let get = try Self.signer.presignedURL(method: "GET", url: Self.url, expires: 86_400, date: Self.date)
        let head = try Self.signer.presignedURL(method: "HEAD", url: Self.url, expires: 86_400, date: Self.date)
        #expect(get.hasSuffix(Self.documentedPresignSignature))
        #expect(head != get)
        #expect(head.hasPrefix(Self.url + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&"))
    }

    @Test("an earlier presign's parameters are replaced, not signed twice")
    func presignAgain() throws {
        let first = try Self.signer.presignedURL(method: "GET", url: Self.url, expires: 60, date: Self.date)
        let second = try Self.signer.presignedURL(method: "GET", url: first, expires: 86_400, date: Self.date)
        #expect(second.hasSuffix(Self.documentedPresignSignature))
    }

    @Test("a fragment is not signed and not kept")
    func fragment() throws {
        let url = try Self.signer.presignedURL(method: "GET", url: Self.url + "#t=10", expires: 86_400, date: Self.date)
        #expect(url.hasSuffix(Self.documentedPresignSignature))
        #expect(!url.contains("#"))
    }

    @Test(
        "the host header comes from the authority, default ports left out",
        arguments: [
            ("http://127.0.0.1:9000/bucket/key", "127.0.0.1:9000"),
            ("http://localhost:80/bucket/key", "localhost"),
            ("https://s3.example.com:443/bucket/key", "s3.example.com"),
            ("https://s3.example.com:8443/bucket/key", "s3.example.com:8443"),
            ("http://s3.example.com:443/bucket/key", "s3.example.com:443"),
            ("http://[::1]:8333/bucket/key", "[::1]:8333"),
            ("http://[::1]/bucket/key", "[::1]"),
            ("https://user:pass@s3.example.com/bucket/key", "s3.example.com"),
            ("HTTPS://S3.example.com:443", "S3.example.com"),
        ]
    )
    func hostHeader(_ url: String, _ host: String) {
        let signing = Self.signer.signHeaders(
            method: "GET",
            url: url,
            headers: [],
            payload: .unsigned,
            date: Self.date,
            includeContentSHA256Header: false
        ).signing
        #expect(signing.canonicalRequest.contains("\nhost:\(host)\n"))
    }

    @Test("an explicit host header wins over the URL's")
    func explicitHost() {
        let signing = Self.signer.signHeaders(
            method: "GET",
            url: "http://127.0.0.1:9000/b/k",
            headers: [("Host", "b.s3.local")],
            payload: .unsigned,
            date: Self.date,
            includeContentSHA256Header: false
        ).signing
        #expect(signing.canonicalRequest.contains("\nhost:b.s3.local\nx-amz-date:"))
        #expect(signing.signedHeaders == "host;x-amz-date")
    }

    @Test("the caller's x-amz-date and authorization are replaced, not duplicated")
    func replacedHeaders() {
        let (signing, added) = Self.signer.signHeaders(
            method: "GET",
            url: Self.url,
            headers: [("X-Amz-Date", "19990101T000000Z"), ("Authorization", "stale"), ("Range", "bytes=0-9")],
            payload: .empty,
            date: Self.date,
            includeContentSHA256Header: true
        )
        #expect(signing.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(added.filter { $0.name == "x-amz-date" }.count == 1)
    }

    @Test("repeated headers are merged in order and values normalised")
    func canonicalHeaders() {
        let headers = SigV4Signer.CanonicalHeaders([
            ("X-Amz-Meta-B", "  two   words  "),
            ("x-amz-meta-a", "1"),
            ("X-AMZ-META-A", "2"),
            ("x-amz-meta-a", "0"),
            ("x-amz-meta-empty", "   "),
        ])
        #expect(headers.block == "x-amz-meta-a:1,2,0\nx-amz-meta-b:two words\nx-amz-meta-empty:\n")
        #expect(headers.signedHeaders == "x-amz-meta-a;x-amz-meta-b;x-amz-meta-empty")

        let unicode = SigV4Signer.CanonicalHeaders([(" X-Amz-Meta-Title\t", "\t Café  ሴ ")])
        #expect(unicode.block == "x-amz-meta-title:Café ሴ\n")
    }

    @Test("payload hashes")
    func payloadHash() {
        #expect(PayloadHash.unsigned.value == "UNSIGNED-PAYLOAD")
        #expect(PayloadHash.empty.value == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(PayloadHash.hashing([UInt8]()) == .empty)
        #expect(
            PayloadHash.hashing(Array("Welcome to Amazon S3.".utf8).lazy.map { $0 }).value
                == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        )
        #expect(PayloadHash.sha256(hex: "ABCDEF").value == "abcdef")
    }

    @Test("credentials never print their secret or token")
    func redaction() {
        let credentials = AWSCredentials(accessKeyID: "AKIDVISIBLE", secretAccessKey: "s3cr3t", sessionToken: "t0k3n")
        for text in [
            "\(credentials)", String(reflecting: credentials),
            {
                var s = ""
                dump(credentials, to: &s)
                return s
            }(),
        ] {
            #expect(!text.contains("s3cr3t"))
            #expect(!text.contains("t0k3n"))
            #expect(text.contains("AKIDVISIBLE"))
        }
    }
}

@Suite("Signing-key cache")
struct SigningKeyCacheTests {
    static let credentials = SigV4SignerTests.credentials

    @Test("the cached key is the derived key, and a second signature does not derive again")
    func cacheHit() throws {
        let cache = SigningKeyCache(capacity: 8)
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s3", keyCache: cache)
        for _ in 0..<3 {
            let url = try signer.presignedURL(
                method: "GET",
                url: SigV4SignerTests.url,
                expires: 86_400,
                date: SigV4SignerTests.date
            )
            #expect(url.hasSuffix(SigV4SignerTests.documentedPresignSignature))
        }
        #expect(cache.derivations == 1)

        // Another day, region, service or secret is another key.
        _ = try signer.presignedURL(
            method: "GET",
            url: SigV4SignerTests.url,
            expires: 60,
            date: SigV4SignerTests.date + 86_400
        )
        let other = SigV4Signer(credentials: Self.credentials, region: "eu-west-1", service: "s3", keyCache: cache)
        _ = try other.presignedURL(method: "GET", url: SigV4SignerTests.url, expires: 60, date: SigV4SignerTests.date)
        #expect(cache.derivations == 3)
    }

    @Test("the derivation matches the documented IAM example key")
    func derivation() {
        // AWS General Reference, "Examples of how to derive a signing key for Signature Version 4":
        // secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215, us-east-1, iam.
        let key = SigningKeyCache.derive(
            secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            dateStamp: "20120215",
            region: "us-east-1",
            service: "iam"
        )
        #expect(
            key.withUnsafeBytes { Hex.lowercase($0) }
                == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        )
    }

    @Test("a full cache is emptied rather than growing")
    func bounded() {
        let cache = SigningKeyCache(capacity: 2)
        for day in ["20240101", "20240102", "20240103", "20240101"] {
            _ = cache.keyedHMAC(secret: "s", dateStamp: day, region: "r", service: "s3")
        }
        // The third key emptied the cache, so the first had to be derived again.
        #expect(cache.derivations == 4)
    }

    @Test("many tasks signing at once get identical, correct results")
    func concurrentSigning() async throws {
        let cache = SigningKeyCache(capacity: 4)
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s3", keyCache: cache)
        let dayAfter = SigV4SignerTests.date + 86_400
        let reference = try SigV4Signer(
            credentials: Self.credentials,
            region: "us-east-1",
            service: "s3",
            keyCache: SigningKeyCache(capacity: 1)
        )
        .presignedURL(method: "GET", url: SigV4SignerTests.url, expires: 86_400, date: dayAfter)

        let results = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<400 {
                group.addTask {
                    let date = index.isMultiple(of: 2) ? SigV4SignerTests.date : dayAfter
                    let url = try signer.presignedURL(
                        method: "GET",
                        url: SigV4SignerTests.url,
                        expires: 86_400,
                        date: date
                    )
                    return (index, url)
                }
            }
            var results: [(Int, String)] = []
            for try await result in group {
                results.append(result)
            }
            return results
        }
        #expect(results.count == 400)
        for (index, url) in results {
            if index.isMultiple(of: 2) {
                #expect(url.hasSuffix(SigV4SignerTests.documentedPresignSignature))
            } else {
                #expect(url == reference)
            }
        }
        // Two keys; a few concurrent misses may each derive, but never one per signature.
        #expect((2...16).contains(cache.derivations))
    }
}
