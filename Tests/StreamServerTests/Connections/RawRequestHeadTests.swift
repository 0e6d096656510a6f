import HTTPTypes
import Testing

@testable import StreamServer

/// ``RawRequestHead`` reads only heads that every HTTP/1.1 parser frames the same way, and leaves
/// everything else to the decoder.
@Suite("Raw request heads")
struct RawRequestHeadTests {
    static func read(_ text: String) -> RawRequestHead {
        Array(text.utf8).withUnsafeBytes { RawRequestHead.read($0) }
    }

    @Test("a plain GET: method, path, authority, fields in order, its length")
    func plainGet() throws {
        let head =
            "GET /api/v1/tracks/x/stream HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
            + "Authorization: Bearer abc\r\nRange:  bytes=0-99 \r\nX-Two: a\r\nX-Two: b\r\n\r\n"
        let next = "GET / HTTP/1.1\r\n"
        guard case .plain(let request, let length, let asksToClose) = Self.read(head + next) else {
            Issue.record("not read as plain")
            return
        }
        #expect(length == head.utf8.count)
        #expect(!asksToClose)
        #expect(request.method == .get)
        #expect(request.path == "/api/v1/tracks/x/stream")
        #expect(request.authority == "127.0.0.1:8080")
        #expect(request.scheme == "http")
        #expect(request.headerFields[.authorization] == "Bearer abc")
        #expect(request.headerFields[.range] == "bytes=0-99")
        #expect(request.headerFields[values: HTTPField.Name("X-Two")!] == ["a", "b"])
        #expect(request.headerFields.count == 4)
    }

    @Test("HEAD, and Connection with the close option in any case")
    func headAndClose() {
        for (connection, closes) in [("close", true), ("Keep-Alive, CLOSE", true), ("keep-alive", false)] {
            let head = "HEAD /a HTTP/1.1\r\nHost: h\r\nConnection: \(connection)\r\n\r\n"
            guard case .plain(let request, _, let asksToClose) = Self.read(head) else {
                Issue.record("not read as plain: \(connection)")
                continue
            }
            #expect(request.method == .head)
            #expect(asksToClose == closes, "\(connection)")
        }
    }

    @Test("a head cut anywhere is incomplete")
    func incomplete() {
        let head = "GET /a HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\n\r\n"
        let bytes = Array(head.utf8)
        for end in 0..<bytes.count {
            let read = Array(bytes[0..<end]).withUnsafeBytes { RawRequestHead.read($0) }
            #expect(read == .incomplete, "cut at \(end)")
        }
    }

    @Test(
        "everything the decoder must judge is left to it",
        arguments: [
            "POST /a HTTP/1.1\r\nHost: h\r\n\r\n",
            "get /a HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /a HTTP/1.0\r\nHost: h\r\n\r\n",
            "GET /a HTTP/1.1 \r\nHost: h\r\n\r\n",
            "GET  /a HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET http://h/a HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET * HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /a\u{7F} HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /a HTTP/1.1\nHost: h\r\n\r\n",
            "GET /a HTTP/1.1\r\nHost: h\n\r\n",
            "GET /a HTTP/1.1\r\nHost: h\r\r\n\r\n",
            "GET /a HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
            "GET /a HTTP/1.1\r\nHost : h\r\n\r\n",
            "GET /a HTTP/1.1\r\n: h\r\n\r\n",
            "GET /a HTTP/1.1\r\nHost: h\r\nNo-Colon\r\n\r\n",
            "GET /a HTTP/1.1\r\nHost: h\r\nX: caf\u{E9}\r\n\r\n",
            "GET /a HTTP/1.1\r\nHost: h\r\nX: a\u{1}b\r\n\r\n",
            "GET /a HTTP/1.1\r\n\r\n",
            "GET /a HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n",
            "GET /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
            "GET /a HTTP/1.1\r\nHost: h\r\ntransfer-encoding: chunked\r\n\r\n",
            "GET /a HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n",
            "GET /a HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
        ]
    )
    func leftToTheDecoder(head: String) {
        #expect(Self.read(head) == .other)
    }

    @Test("a head longer than maxBytes or with more than maxFields fields is left to the decoder")
    func limits() {
        let long =
            "GET /a HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "a", count: RawRequestHead.maxBytes) + "\r\n\r\n"
        #expect(Self.read(long) == .other)
        let unfinished = "GET /a HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "a", count: RawRequestHead.maxBytes)
        #expect(Self.read(unfinished) == .other)
        let fields = (0...RawRequestHead.maxFields).map { "X-\($0): v\r\n" }.joined()
        #expect(Self.read("GET /a HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n") == .other)
    }
}
