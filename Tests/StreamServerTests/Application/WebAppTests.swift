import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

@testable import StreamServer

@Suite("Web app: static files, security headers, development sign-in")
struct WebAppTests {
    @Test("/ and /app/{file} are served with the page's security headers; the API keeps its CORS")
    func staticFiles() async throws {
        try await TestApp.with(.sqlite) { _, client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let csp = try #require(response.headers[.contentSecurityPolicy])
                #expect(csp.contains("script-src 'self'"))
                #expect(csp.contains("style-src 'self'"))
                #expect(csp.contains("frame-ancestors 'none'"))
                #expect(!csp.contains("unsafe-inline"))
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                let page = String(buffer: response.body)
                #expect(page.contains(#"<script type="module" src="/app/app.js">"#))
                #expect(!page.contains("<script>"))
                #expect(page.contains(#"id="file-input""#))
            }
            for (file, type) in [
                ("app.js", "text/javascript"), ("api.js", "text/javascript"), ("upload.js", "text/javascript"),
                ("tracks.js", "text/javascript"), ("player.js", "text/javascript"), ("share.js", "text/javascript"),
                ("plan.js", "text/javascript"), ("app.css", "text/css"),
            ] {
                try await client.execute(uri: "/app/\(file)", method: .get) { response in
                    #expect(response.status == .ok, "\(file)")
                    #expect(response.headers[.contentType] == "\(type); charset=utf-8", "\(file)")
                    #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(file)")
                    #expect(response.body.readableBytes > 100, "\(file)")
                }
            }
            for missing in ["/app/nope.js", "/app/..%2FPackage.swift", "/app/%2E%2E"] {
                try await client.execute(uri: missing, method: .get) { response in
                    #expect(response.status == .notFound, "\(missing)")
                    #expect(response.body.apiError?.code == "not_found", "\(missing)")
                }
            }
            // The API and HLS routes keep their own headers: no page policy on them.
            try await client.execute(uri: "/api/v1/tracks/\(UUID())/stream", method: .get) { response in
                #expect(response.headers[.contentSecurityPolicy] == nil)
            }
        }
    }

    @Test("development sign-in is refused unless VEZA_DEV_LOGIN=1")
    func devLoginOff() async throws {
        try await TestApp.with(.sqlite) { _, client in
            try await client.execute(uri: "/api/v1/dev/token", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.body.apiError?.code == "dev_login_disabled")
            }
            try await client.execute(
                uri: "/api/v1/dev/token",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"user_id":"\#(UUID())"}"#)
            ) { response in
                #expect(response.status == .notFound)
                #expect(response.body.apiError?.code == "dev_login_disabled")
            }
        }
    }

    @Test("with VEZA_DEV_LOGIN=1 a token is minted for a typed user id, and it works")
    func devLoginOn() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("veza-dev-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = try AppConfiguration(environment: [
            "VEZA_DATA_DIR": directory, "JWT_SECRET": TestApp.jwtSecret, "TRANSCODE_WORKERS": "0",
            "VEZA_DEV_LOGIN": "1",
        ])
        #expect(throws: (any Error).self) {
            try AppConfiguration(environment: ["VEZA_DATA_DIR": directory, "VEZA_DEV_LOGIN": "maybe"])
        }
        let components = try await AppServices(configuration: configuration, logger: TestDatabase.logger)
        try await buildApplication(components).test(.router) { client in
            try await client.execute(uri: "/api/v1/dev/token", method: .get) { #expect($0.status == .ok) }
            let user = UUID()
            let token = try await client.execute(
                uri: "/api/v1/dev/token",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"user_id":"\#(user.uuidString)"}"#)
            ) { response in
                #expect(response.status == .created)
                #expect(response.body.jsonObject?["user_id"] as? String == user.uuidString.lowercased())
                return try #require(response.body.jsonObject?["token"] as? String)
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(token)"]) {
                #expect($0.status == .ok)
                #expect($0.body.jsonObject?["user_id"] as? String == user.uuidString.lowercased())
                #expect($0.body.jsonObject?["role"] as? String == "user")
            }
            try await client.execute(
                uri: "/api/v1/dev/token",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"user_id":"nobody"}"#)
            ) { #expect($0.status == .badRequest) }
        }
    }
}
