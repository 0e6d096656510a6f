import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

@testable import StreamServer

/// Issue 9 §7: badly framed bodies are the client's fault: 400 `malformed_body`, nothing stored,
/// the tus offset unchanged, on the create, chunk and tus routes.
@Suite("Connections: badly framed bodies")
struct MalformedBodyTests {
    /// A framing fault: the headers it needs, the bytes after the head, whether we then half-close.
    struct Framing: Sendable {
        let name: String
        let headers: String
        let body: String
        let halfClose: Bool
    }

    static let framings = [
        Framing(
            name: "bad chunk-size line",
            headers: "Transfer-Encoding: chunked\r\n",
            body: "zz\r\nabc\r\n0\r\n\r\n",
            halfClose: false
        ),
        Framing(
            name: "shorter than Content-Length",
            headers: "Content-Length: 100\r\n",
            body: "0123456789",
            halfClose: true
        ),
        Framing(
            name: "chunked cut short",
            headers: "Transfer-Encoding: chunked\r\n",
            body: "64\r\nabcdef",
            halfClose: true
        ),
        Framing(
            name: "Transfer-Encoding: gzip",
            headers: "Transfer-Encoding: gzip\r\n",
            body: "abcdef",
            halfClose: true
        ),
    ]

    @Test("each framing fault on each route: 400 malformed_body, nothing stored", arguments: StoreBackends.all)
    func framingFaults(backends: StoreBackends) async throws {
        try await TestApp.with(backends.database, store: backends.store, live: true) { _, client in
            let port = try #require(client.port)
            let bearer = try await ConnectionGuardTests.bearer()
            let auth: HTTPFields = [.authorization: bearer, .contentType: "application/json"]
            let upload = try await client.execute(
                uri: "/api/v1/uploads",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: #"{"filename":"a.wav","size":1000}"#)
            ) { response in
                #expect(response.status == .created)
                return try #require(response.body.jsonObject?["id"] as? String)
            }
            let tusLocation = try await client.execute(
                uri: "/api/v1/tus",
                method: .post,
                headers: [
                    .authorization: bearer, HTTPField.Name("Tus-Resumable")!: "1.0.0",
                    HTTPField.Name("Upload-Length")!: "1000",
                ]
            ) { response in
                #expect(response.status == .created)
                return try #require(response.headers[.location])
            }
            let routes = [
                ("POST /api/v1/uploads", "Content-Type: application/json\r\n"),
                ("PUT /api/v1/uploads/\(upload)/chunks/0", ""),
                (
                    "PATCH \(tusLocation)",
                    "Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
                ),
            ]
            for (route, routeHeaders) in routes {
                for framing in Self.framings {
                    let connection = try RawConnection(port: port)
                    await connection.send(
                        "\(route) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \(bearer)\r\n\(routeHeaders)"
                            + "\(framing.headers)\r\n\(framing.body)"
                    )
                    if framing.halfClose { connection.shutdownWrite() }
                    let response = await connection.readResponse()
                    #expect(response?.status == 400, "\(route), \(framing.name): \(response?.head ?? "no response")")
                    #expect(response?.body.apiErrorCode == "malformed_body", "\(route), \(framing.name)")
                }
            }
            try await client.execute(uri: "/api/v1/uploads/\(upload)", method: .get, headers: auth) { response in
                #expect(response.status == .ok)
                #expect((response.body.jsonObject?["received_chunks"] as? [Int])?.isEmpty == true)
                #expect(response.body.jsonObject?["received_bytes"] as? Int == 0)
            }
            try await client.execute(
                uri: tusLocation,
                method: .head,
                headers: [.authorization: bearer, HTTPField.Name("Tus-Resumable")!: "1.0.0"]
            ) { response in
                #expect(response.headers[HTTPField.Name("Upload-Offset")!] == "0")
            }
        }
    }
}
