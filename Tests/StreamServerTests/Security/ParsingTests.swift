import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SQLKit
import TestSupport
import Testing

@testable import StreamServer

/// Issue 9 §7: JSON bodies are parsed strictly (RFC 8259) and must say they are JSON;
/// If-Modified-Since from the future is ignored.
@Suite("Parsing: strict JSON and HTTP semantics")
struct ParsingTests {
    @Test("lenient JSON is refused and creates nothing", arguments: DatabaseEngine.allCases)
    func strictJSON(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine) { components, client in
            let bearer = "Bearer \(try await TestApp.token(for: Identity(userID: UUID(), role: .user)))"
            let json: HTTPFields = [.authorization: bearer, .contentType: "application/json"]
            var utf16 = Data([0xFF, 0xFE])
            utf16.append(#"{"filename":"a.wav","size":1000}"#.data(using: .utf16LittleEndian)!)
            let refused: [(String, HTTPFields, ByteBuffer, HTTPResponse.Status, String)] = [
                (
                    "trailing comma", json, ByteBuffer(string: #"{"filename":"a.wav","size":1000,}"#), .badRequest,
                    "invalid_json"
                ),
                (
                    "trailing comma in array", json, ByteBuffer(string: #"{"filename":"a.wav","size":1000,"x":[1,]}"#),
                    .badRequest, "invalid_json"
                ),
                (
                    "duplicate key", json, ByteBuffer(string: #"{"filename":"a.wav","size":1000,"size":-5}"#),
                    .badRequest, "invalid_json"
                ),
                (
                    "duplicate key, escaped", json,
                    ByteBuffer(string: #"{"filename":"a.wav","size":1000,"\u0073ize":2}"#), .badRequest, "invalid_json"
                ),
                ("UTF-16", json, ByteBuffer(bytes: Array(utf16)), .badRequest, "invalid_json"),
                (
                    "not UTF-8", json,
                    ByteBuffer(
                        bytes: Array(#"{"filename":"a"#.utf8) + [0xC3, 0x28] + Array(#".wav","size":1000}"#.utf8)
                    ), .badRequest, "invalid_json"
                ),
                (
                    "exponent", json, ByteBuffer(string: #"{"filename":"a.wav","size":1e3}"#), .badRequest,
                    "invalid_json"
                ),
                (
                    "fraction", json, ByteBuffer(string: #"{"filename":"a.wav","size":1000.0}"#), .badRequest,
                    "invalid_json"
                ),
                (
                    "leading zero", json, ByteBuffer(string: #"{"filename":"a.wav","size":01000}"#), .badRequest,
                    "invalid_json"
                ),
                (
                    "no Content-Type", [.authorization: bearer],
                    ByteBuffer(string: #"{"filename":"a.wav","size":1000}"#), .unsupportedMediaType,
                    "unsupported_media_type"
                ),
                (
                    "text/plain", [.authorization: bearer, .contentType: "text/plain"],
                    ByteBuffer(string: #"{"filename":"a.wav","size":1000}"#), .unsupportedMediaType,
                    "unsupported_media_type"
                ),
                (
                    "application/jsonx", [.authorization: bearer, .contentType: "application/jsonx"],
                    ByteBuffer(string: #"{"filename":"a.wav","size":1000}"#), .unsupportedMediaType,
                    "unsupported_media_type"
                ),
            ]
            for (name, headers, body, status, code) in refused {
                try await client.execute(uri: "/api/v1/uploads", method: .post, headers: headers, body: body) {
                    response in
                    #expect(response.status == status, "\(name)")
                    #expect(response.body.apiError?.code == code, "\(name): \(String(buffer: response.body))")
                }
            }
            #expect(try await Self.uploadCount(components) == 0)
            // The same body, well formed, with a charset parameter: accepted.
            var accepted = json
            accepted[.contentType] = "application/json; charset=utf-8"
            try await client.execute(
                uri: "/api/v1/uploads",
                method: .post,
                headers: accepted,
                body: ByteBuffer(string: #"{ "filename" : "a.wav", "size" : 1000, "title": "caf\u00e9 \ud83c\udfb5" }"#)
            ) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
            }
            #expect(try await Self.uploadCount(components) == 1)
        }
    }

    static func uploadCount(_ components: AppServices) async throws -> Int {
        struct Row: Decodable { let count: Int }
        return try await components.database.sql.raw("SELECT COUNT(*) AS count FROM upload_sessions").first(
            decoding: Row.self
        )?.count ?? -1
    }

    @Test("an If-Modified-Since later than the server's clock is ignored", arguments: DatabaseEngine.allCases)
    func futureIfModifiedSince(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine) { components, client in
            let track = try await storeTrack(components, bytes: Array(repeating: 3, count: 100))
            let uri = "/api/v1/tracks/\(track.id.uuidString.lowercased())/stream"
            let lastModified = try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .ok)
                return try #require(response.headers[.lastModified])
            }
            // A date the client received: 304 as before.
            try await client.execute(uri: uri, method: .get, headers: [.ifModifiedSince: lastModified]) { response in
                #expect(response.status == .notModified)
            }
            let future = HTTPDate(secondsSince1970: Int64(Date().timeIntervalSince1970) + 86400).imfFixdate
            try await client.execute(uri: uri, method: .get, headers: [.ifModifiedSince: future]) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 100)
            }
        }
    }
}
