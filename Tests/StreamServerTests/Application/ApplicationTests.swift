import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@testable import StreamServer

@Suite("Application")
struct ApplicationTests {
    @Test("/health and /health/deep report every dependency (details for an admin)", arguments: DatabaseEngine.allCases)
    func health(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine) { _, client in
            let admin: HTTPFields = [
                .authorization: "Bearer \(try await TestApp.token(for: Identity(userID: UUID(), role: .admin)))"
            ]
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.body.jsonObject?["status"] as? String == "ok")
            }
            try await client.execute(uri: "/health/deep", method: .get, headers: admin) { response in
                #expect(response.status == .ok)
                let body = try #require(response.body.jsonObject)
                #expect(body["status"] as? String == "ok")
                let checks = try #require(body["checks"] as? [String: [String: String]])
                #expect(checks["database"]?["status"] == "ok")
                #expect(checks["database"]?["engine"] == engine.rawValue)
                #expect(checks["store"]?["status"] == "ok")
                #expect(checks["store"]?["backend"] == "local")
                #expect(checks["data_dir"]?["status"] == "ok")
                #expect(checks["ffmpeg"]?["status"] == "ok")
                #expect(checks["ffmpeg"]?["libavformat"]?.hasPrefix("59.") == true)
                #expect(checks["ffmpeg"]?["aac_encoder"] == "yes")
            }
        }
    }

    @Test("/health/deep answers 503 when the data directory is gone")
    func deepHealthFails() async throws {
        try await TestApp.with(.sqlite, environment: ["HEALTH_DETAILS": "public"]) { components, client in
            try FileManager.default.removeItem(atPath: components.configuration.dataDirectory)
            defer {
                try? FileManager.default.createDirectory(
                    atPath: components.configuration.dataDirectory,
                    withIntermediateDirectories: true
                )
            }
            try await client.execute(uri: "/health/deep", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let checks = try #require(response.body.jsonObject?["checks"] as? [String: [String: String]])
                #expect(checks["data_dir"]?["status"] == "failing")
                #expect(checks["data_dir"]?["error"]?.contains("not writable") == true)
            }
        }
    }

    @Test("/metrics speaks the Prometheus text format")
    func metrics() async throws {
        try await TestApp.with(.sqlite) { _, client in
            try await client.execute(uri: "/health", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: response.body)
                #expect(
                    text.contains("# TYPE http_requests_total counter")
                        || text.contains("# TYPE http_server_request_duration")
                )
            }
        }
    }

    @Test("unknown routes get a JSON 404 with a request id")
    func unknownRoute() async throws {
        try await TestApp.with(.sqlite) { _, client in
            for method in [HTTPRequest.Method.get, .post, .delete] {
                try await client.execute(uri: "/no/such/route", method: method) { response in
                    #expect(response.status == .notFound)
                    #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                    #expect(response.body.apiError?.code == "not_found")
                    #expect(response.headers[.requestID]?.isEmpty == false)
                }
            }
        }
    }

    @Test("bearer auth on a protected route", arguments: DatabaseEngine.allCases)
    func bearerAuth(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine) { _, client in
            let user = Identity(userID: UUID(), role: .user)
            let valid = try await TestApp.token(for: user)
            let expired = try await TestApp.token(
                for: user,
                lifetime: .seconds(60),
                now: Date().addingTimeInterval(-3600)
            )
            let foreign = try await AccessTokens(secret: String(repeating: "z", count: 40)).mint(user)
            let refused: [(String?, String)] = [
                (nil, "needs an 'Authorization: Bearer <token>' header"),
                ("Basic dXNlcjpwYXNz", "must be 'Bearer <token>'"),
                ("Bearer", "must be 'Bearer <token>'"),
                ("Bearer not.a.jwt", "not valid"),
                ("Bearer \(foreign)", "not valid"),
                ("Bearer \(expired)", "expired"),
                ("Bearer \(valid)x", "not valid"),
            ]
            for (header, message) in refused {
                var headers: HTTPFields = [:]
                if let header { headers[.authorization] = header }
                try await client.execute(uri: "/api/v1/me", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized, "\(header ?? "none")")
                    #expect(response.body.apiError?.code == "unauthorized")
                    #expect(
                        response.body.apiError?.message.contains(message) == true,
                        "\(response.body.apiError?.message ?? "")"
                    )
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                }
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "bearer \(valid)"]) {
                response in
                #expect(response.status == .ok)
                #expect(response.body.jsonObject?["user_id"] as? String == user.userID.uuidString.lowercased())
                #expect(response.body.jsonObject?["role"] as? String == "user")
            }
            // A bad token is refused even on public routes: a client must learn its token is broken.
            try await client.execute(uri: "/health", method: .get, headers: [.authorization: "Bearer nope"]) {
                response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("malformed JSON bodies get a 400 that says what is wrong")
    func badJSON() async throws {
        struct Thing: Decodable {
            let name: String
            let size: Int
        }
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: JSONErrorMiddleware())
        router.post("things") { request, _ -> HTTPResponse.Status in
            _ = try await request.decodeJSON(as: Thing.self, limit: 1024)
            return .created
        }
        let cases: [(String, HTTPResponse.Status, String, String)] = [
            ("{\"name\": \"a\", \"size\": 1}", .created, "", ""),
            ("{not json", .badRequest, "invalid_json", "not valid JSON"),
            ("{\"name\": \"a\"}", .badRequest, "invalid_json", "missing field 'size'"),
            ("{\"name\": \"a\", \"size\": \"big\"}", .badRequest, "invalid_json", "'size' must be an integer"),
            ("{\"name\": null, \"size\": 1}", .badRequest, "invalid_json", "'name' must be a string, not null"),
            (
                "[" + String(repeating: "1,", count: 1000) + "1]", .contentTooLarge, "payload_too_large",
                "larger than 1024"
            ),
        ]
        try await Application(router: router).test(.router) { client in
            for (body, status, code, message) in cases {
                try await client.execute(
                    uri: "/things",
                    method: .post,
                    headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: body)
                ) { response in
                    #expect(response.status == status, "\(body.prefix(30))")
                    if !code.isEmpty {
                        #expect(response.body.apiError?.code == code)
                        #expect(
                            response.body.apiError?.message.contains(message) == true,
                            "\(response.body.apiError?.message ?? "")"
                        )
                    }
                }
            }
            try await client.execute(
                uri: "/things",
                method: .post,
                headers: [.contentType: "text/plain"],
                body: ByteBuffer(string: "{}")
            ) {
                #expect($0.status == .unsupportedMediaType)
                #expect($0.body.apiError?.code == "unsupported_media_type")
            }
        }
    }
}
