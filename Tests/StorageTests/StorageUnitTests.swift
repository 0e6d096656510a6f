import Foundation
import NIOCore
import Retry
import SignedURL
import Testing

@testable import Storage

/// The pieces that need no server: key rules, ranges, XML, dates, error mapping, retry delays.
@Suite("Storage units")
struct StorageUnitTests {
    @Test func keyRules() throws {
        for key in [
            "a", "tracks/u/t.mp3", "..x", "a/.b", "a b/c+d/%/~/!/'()*", "日本/語", String(repeating: "k", count: 255),
        ] {
            try ObjectKey.validate(key)
        }
        let cases: [(String, String)] = [
            ("", "empty"), ("/a", "start with \"/\""), ("a/", "end with \"/\""), ("a//b", "empty segments"),
            ("a/../b", "\"..\""), ("./a", "\".\""), ("a\u{0}", "control"), ("a\u{7F}", "control"),
            (".veza/x", "reserved"), (String(repeating: "k", count: 256), "longer than 255"),
            (String(repeating: "k/", count: 600), "1200 bytes"),
        ]
        for (key, reason) in cases {
            let error = #expect(throws: StorageError.invalidKey) { try ObjectKey.validate(key) }
            #expect(error?.message.contains(reason) == true, "\(key.prefix(20)): \(error?.message ?? "")")
        }
        for prefix in ["", "a", "a/", "a/b", "a/.", "a/..", "..", ".ve"] { try ObjectKey.validatePrefix(prefix) }
        for prefix in ["/", "/a", "a//", "../a", "a/../", ".veza/", "a\u{0}"] {
            #expect(throws: StorageError.invalidKey, "\(prefix)") { try ObjectKey.validatePrefix(prefix) }
        }
    }

    @Test func byteRanges() {
        #expect(ByteRange(100...199).httpHeaderValue == "bytes=100-199")
        #expect(ByteRange.from(5).httpHeaderValue == "bytes=5-")
        #expect(ByteRange.suffix(10).httpHeaderValue == "bytes=-10")
        #expect(ByteRange(0...0).resolved(size: 1) == 0...0)
        #expect(ByteRange(0...0).resolved(size: 0) == nil)
        #expect(ByteRange(5...500).resolved(size: 10) == 5...9)
        #expect(ByteRange(10...20).resolved(size: 10) == nil)
        #expect(ByteRange.suffix(3).resolved(size: 10) == 7...9)
        #expect(ByteRange.suffix(30).resolved(size: 10) == 0...9)
        #expect(ByteRange.suffix(3).resolved(size: 0) == nil)
        #expect(
            S3Store.parseContentRange("bytes 100-199/5000").map { [$0.range.lowerBound, $0.range.upperBound, $0.size] }
                == [100, 199, 5000]
        )
        #expect(S3Store.parseContentRange("bytes */5000") == nil)
    }

    @Test func errorsCompareByKind() {
        let detailed = StorageError.noSuchKey.with(
            message: "x",
            s3Code: "NoSuchKey",
            requestID: "R1",
            httpStatus: 404,
            key: "k"
        )
        #expect(detailed == .noSuchKey)
        #expect(detailed != .noSuchUpload)
        #expect("\(detailed)" == "NoSuchKey: x (key: k, HTTP 404, request id: R1)")
        #expect(StorageError.unavailable.isTransient && StorageError.throttled.isTransient)
        #expect(!StorageError.accessDenied.isTransient && !StorageError.noSuchKey.isTransient)
    }

    @Test func s3ErrorDocuments() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist &amp; never did.</Message>\
            <Key>a/b</Key><RequestId>REQ123</RequestId></Error>
            """
        let operation = S3Operation(name: "ListParts", method: "GET", key: "a/b", isIdempotent: true)
        let error = S3Store.error(
            status: 404,
            document: try S3XML.parse(ByteBuffer(string: xml)),
            headerRequestID: nil,
            operation: operation
        )
        #expect(error == .noSuchUpload)
        #expect(error.s3Code == "NoSuchUpload")
        #expect(error.requestID == "REQ123")
        #expect(error.message == "ListParts: The specified upload does not exist & never did.")
        let mapping: [(String?, Int, StorageError)] = [
            ("SlowDown", 503, .throttled), ("InternalError", 500, .unavailable),
            ("SignatureDoesNotMatch", 403, .accessDenied),
            ("EntityTooSmall", 400, .entityTooSmall), ("InvalidRange", 416, .invalidRange), (nil, 404, .noSuchKey),
            (nil, 429, .throttled), (nil, 502, .unavailable), (nil, 403, .accessDenied),
            ("Weird", 409, .invalidArgument),
        ]
        for (code, status, expected) in mapping {
            let document = code.map { XMLNode(name: "Error", children: [XMLNode(name: "Code", text: $0)]) }
            let mapped = S3Store.error(status: status, document: document, headerRequestID: "H", operation: operation)
            #expect(mapped == expected, "\(code ?? "-") \(status)")
            #expect(mapped.requestID == "H")
        }
        // Whitespace before the document, as complete-multipart sends while it works.
        let padded = ByteBuffer(
            string:
                "  \n  <CompleteMultipartUploadResult><ETag>&quot;abc-2&quot;</ETag></CompleteMultipartUploadResult>"
        )
        #expect(try S3XML.parse(padded).value("ETag")?.unquotedETag == "abc-2")
        #expect(throws: StorageError.unexpectedResponse) { try S3XML.parse(ByteBuffer(string: "<a><b></a>")) }
    }

    @Test func completeDocument() throws {
        let body = S3XML.completeMultipartUpload([
            CompletedPart(partNumber: 1, etag: "aa"), CompletedPart(partNumber: 2, etag: "\"bb\""),
        ])
        let document = try S3XML.parse(body)
        #expect(document.children("Part").map { $0.value("PartNumber") } == ["1", "2"])
        #expect(document.children("Part").map { $0.value("ETag") } == ["\"aa\"", "\"bb\""])
    }

    @Test func dates() {
        #expect(S3Date.parseISO8601("2024-05-01T12:34:56.789Z")?.timeIntervalSince1970 == 1_714_566_896.789)
        #expect(S3Date.parseISO8601("1970-01-01T00:00:00Z")?.timeIntervalSince1970 == 0)
        #expect(S3Date.parseHTTP("Sun, 06 Nov 1994 08:49:37 GMT")?.timeIntervalSince1970 == 784_111_777)
        #expect(S3Date.parseHTTP("garbage") == nil)
    }

    @Test func retryDelaysAreJitteredAndCapped() {
        let policy = RetryPolicy(
            maximumAttempts: 5,
            backoff: Backoff(base: .milliseconds(100), cap: .milliseconds(350), jitter: .full)
        )
        for attempt in 1...6 {
            let cap = min(350, 100 << (attempt - 1))
            let delays = (0..<200).map { _ in policy.backoff.delay(afterAttempt: attempt) }
            #expect(delays.allSatisfy { $0 >= .zero && $0 <= .milliseconds(cap) })
            #expect(Set(delays).count > 1)
        }
    }

    /// Within one second a presigned URL is signed once and is exactly what signing again gives;
    /// a new second, another key, method, lifetime or disposition signs anew.
    @Test func presignedURLsOfOneSecond() async throws {
        let credentials = AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret")
        let store = try S3Store(
            configuration: .init(endpoint: "http://127.0.0.1:8333", bucket: "b", credentials: credentials)
        )
        let signer = SigV4Signer(credentials: credentials, region: store.configuration.region)
        let start = Date(timeIntervalSince1970: 1_800_000_000.25)
        for offset in [0.0, 0.5, 0.7, 1.0, 1.9, 3.0] {
            let date = start.addingTimeInterval(offset)
            for (method, key, seconds, disposition) in [
                (SignedURLMethod.get, "k", 60, nil), (.head, "k", 60, nil), (.get, "j", 60, nil), (.get, "k", 61, nil),
                (.get, "k", 60, "attachment; filename=\"a.wav\""),
            ] {
                let cached = try store.signedURL(
                    method: method,
                    key: key,
                    expires: .seconds(seconds),
                    responseContentDisposition: disposition,
                    date: date
                )
                let fresh = try signer.presignedURL(
                    method: method.rawValue,
                    url: store.url(key: key, query: disposition.map { [("response-content-disposition", $0)] } ?? []),
                    expires: seconds,
                    date: date
                )
                #expect(cached == fresh, "\(method) \(key) \(seconds) at +\(offset) s")
            }
        }
        try await store.shutdown()
    }

    @Test func addressingStyles() async throws {
        let credentials = AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret")
        let virtual = try S3Store(
            configuration: .init(
                endpoint: "https://s3.eu-west-1.amazonaws.com/",
                region: "eu-west-1",
                bucket: "veza-media",
                credentials: credentials,
                addressingStyle: .virtualHosted
            )
        )
        #expect(virtual.url(key: "a b/c+d") == "https://veza-media.s3.eu-west-1.amazonaws.com/a%20b/c%2Bd")
        #expect(
            virtual.url(key: nil, query: [("list-type", "2")])
                == "https://veza-media.s3.eu-west-1.amazonaws.com/?list-type=2"
        )
        let presigned = try virtual.signedURL(method: .get, key: "k", expires: .seconds(60))
        #expect(presigned.hasPrefix("https://veza-media.s3.eu-west-1.amazonaws.com/k?"))
        #expect(
            presigned.contains("X-Amz-Credential=AKID%2F") && presigned.contains("%2Feu-west-1%2Fs3%2Faws4_request")
        )
        try await virtual.shutdown()

        let path = try S3Store(
            configuration: .init(endpoint: "http://127.0.0.1:8333", bucket: "b", credentials: credentials)
        )
        #expect(path.url(key: "x/ü ~!'()*") == "http://127.0.0.1:8333/b/x/%C3%BC%20~%21%27%28%29%2A")
        try await path.shutdown()
        #expect(throws: StorageError.invalidArgument) {
            try S3Store(configuration: .init(endpoint: "127.0.0.1:8333", bucket: "b", credentials: credentials))
        }
    }

    @Test func partReaderCutsExactParts() async throws {
        let chunks = (0..<10).map { testBytes(333, seed: UInt64($0)) }
        var reader = PartReader(iterator: AsyncChunks(chunks: chunks).makeAsyncIterator(), partSize: 1000)
        var sizes: [Int] = []
        var joined = ByteBuffer()
        while var part = try await reader.nextPart() {
            sizes.append(part.readableBytes)
            joined.writeBuffer(&part)
        }
        #expect(sizes == [1000, 1000, 1000, 330])
        var expected = ByteBuffer()
        for var chunk in chunks { expected.writeBuffer(&chunk) }
        #expect(joined == expected)
    }
}
