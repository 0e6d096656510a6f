import Catalog
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SignedURL
import Storage
import TestSupport
import Testing
import VezaAPI

@testable import StreamServer

/// Issue 9 §3: tokens stay out of logs, presigned URLs never outlive the share token they were
/// handed out under, `/health/deep` tells the public status only, and share links can be made.
@Suite("Secrets and tokens")
struct SecretsTests {
    @Test(
        "the request log redacts share, X-Amz-Signature, X-Amz-Credential and token",
        arguments: DatabaseEngine.allCases
    )
    func requestLogRedacts(engine: DatabaseEngine) async throws {
        let log = CapturedLog()
        try await TestApp.with(engine, logger: log.logger()) { _, client in
            let secrets = ["SHARESECRET1", "SIGSECRET2", "CREDSECRET3", "TOKENSECRET4"]
            let uri =
                "/api/v1/tracks/\(UUID().uuidString.lowercased())/stream?share=\(secrets[0])&X-Amz-Signature=\(secrets[1])"
                + "&x-amz-credential=\(secrets[2])&token=\(secrets[3])&keep=visible"
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .notFound)
            }
            let text = log.text
            for secret in secrets { #expect(!text.contains(secret), "\(secret) reached the log:\n\(text)") }
            #expect(text.contains("share=REDACTED"))
            #expect(text.contains("X-Amz-Signature=REDACTED"))
            #expect(text.contains("keep=visible"))
            #expect(text.contains("/stream"))
        }
    }

    @Test(
        "/health/deep: status only for the public, details for admins or HEALTH_DETAILS=public",
        arguments: DatabaseEngine.allCases
    )
    func deepHealthDetails(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine) { components, client in
            let user = try await TestApp.token(for: Identity(userID: UUID(), role: .user))
            for headers: HTTPFields in [[:], [.authorization: "Bearer \(user)"]] {
                try await client.execute(uri: "/health/deep", method: .get, headers: headers) { response in
                    #expect(response.status == .ok)
                    let text = String(buffer: response.body)
                    let body = try #require(response.body.jsonObject)
                    #expect(Set(body.keys) == ["status", "checks"])
                    let checks = try #require(body["checks"] as? [String: String])
                    #expect(checks == ["database": "ok", "store": "ok", "data_dir": "ok", "ffmpeg": "ok"])
                    #expect(!text.contains(components.configuration.dataDirectory))
                    #expect(!text.contains("libavformat"))
                }
            }
            let admin = try await TestApp.token(for: Identity(userID: UUID(), role: .admin))
            try await client.execute(uri: "/health/deep", method: .get, headers: [.authorization: "Bearer \(admin)"]) {
                response in
                let checks = try #require(response.body.jsonObject?["checks"] as? [String: [String: String]])
                #expect(checks["database"]?["engine"] == engine.rawValue)
                #expect(checks["ffmpeg"]?["libavformat"] != nil)
            }
        }
        try await TestApp.with(engine, environment: ["HEALTH_DETAILS": "public"]) { _, client in
            try await client.execute(uri: "/health/deep", method: .get) { response in
                let checks = try #require(response.body.jsonObject?["checks"] as? [String: [String: String]])
                #expect(checks["database"]?["engine"] == engine.rawValue)
            }
        }
    }

    /// Counts its runs.
    final class CountingCheck: HealthCheck, @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        var runs: Int { self.lock.withLock { self.count } }
        var name: String { "counting" }
        func check() async -> HealthReport {
            self.lock.withLock { self.count += 1 }
            return .healthy()
        }
    }

    @Test("/health/deep runs its checks at most once per cache lifetime")
    func deepHealthCached() async throws {
        let check = CountingCheck()
        let controller = HealthController(checks: [check], details: .admin, cacheLifetime: .milliseconds(300))
        for _ in 0..<20 { _ = await controller.deep(showDetails: false) }
        #expect(check.runs == 1)
        try await Task.sleep(for: .milliseconds(400))
        _ = await controller.deep(showDetails: true)
        #expect(check.runs == 2)
    }

    @Test("presigned URLs handed out under a share token expire no later than it", arguments: StoreBackends.all)
    func presignedURLsCappedByShare(backends: StoreBackends) async throws {
        try await TestApp.with(backends.database, store: backends.store) { components, client in
            let track = try await storeTrack(components, bytes: Array(repeating: 7, count: 64), visibility: .private)
            let prefix = try #require(track.hlsPrefix)
            let playlist = "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:6.0,\nseg0.m4s\n#EXT-X-ENDLIST\n"
            _ = try await components.store.put(key: prefix + "aac_128k/index.m3u8", body: .bytes(Array(playlist.utf8)))
            let id = track.id.uuidString.lowercased()
            let share = ShareToken(secret: components.urlSecret).mint(
                subject: id,
                expires: Date().addingTimeInterval(120)
            )
            func expiresValues(_ text: String) -> [Int] {
                text.components(separatedBy: "X-Amz-Expires=").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
            }
            try await client.execute(uri: "/api/v1/tracks/\(id)/hls/aac_128k/index.m3u8?share=\(share)", method: .get) {
                response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                if backends.store == .s3 {
                    let values = expiresValues(text)
                    #expect(values.count == 2)
                    #expect(values.allSatisfy { $0 <= 120 && $0 > 60 }, "\(values)")
                } else {
                    #expect(text.contains("seg0.m4s?share=\(share)"))
                }
            }
            try await client.execute(uri: "/api/v1/tracks/\(id)/stream?share=\(share)", method: .get) { response in
                if backends.store == .s3 {
                    #expect(response.status == .found)
                    let values = expiresValues(response.headers[.location] ?? "")
                    #expect(values.count == 1 && values.allSatisfy { $0 <= 120 && $0 > 60 }, "\(values)")
                } else {
                    #expect(response.status == .ok)
                }
            }
            // The owner's own URLs keep their configured lifetime.
            let owner = try await TestApp.token(for: Identity(userID: track.ownerID, role: .user))
            try await client.execute(
                uri: "/api/v1/tracks/\(id)/stream",
                method: .get,
                headers: [.authorization: "Bearer \(owner)"]
            ) { response in
                if backends.store == .s3 { #expect(expiresValues(response.headers[.location] ?? "") == [900]) }
            }
        }
    }

    @Test(
        "POST /tracks/{id}/share: owner or admin, lifetime bounded by SHARE_MAX_TTL",
        arguments: DatabaseEngine.allCases
    )
    func createShare(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine, environment: ["SHARE_MAX_TTL": "1h"]) { components, client in
            let track = try await storeTrack(components, bytes: Array(repeating: 1, count: 32), visibility: .private)
            let id = track.id.uuidString.lowercased()
            let owner = try await TestApp.token(for: Identity(userID: track.ownerID, role: .user))
            let admin = try await TestApp.token(for: Identity(userID: UUID(), role: .admin))
            let stranger = try await TestApp.token(for: Identity(userID: UUID(), role: .user))
            func post(
                _ token: String?,
                _ body: String,
                track: String = id
            ) async throws -> (HTTPResponse.Status, ByteBuffer) {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let token { headers[.authorization] = "Bearer \(token)" }
                return try await client.execute(
                    uri: "/api/v1/tracks/\(track)/share",
                    method: .post,
                    headers: headers,
                    body: ByteBuffer(string: body)
                ) { ($0.status, $0.body) }
            }
            let before = Date()
            let (status, body) = try await post(owner, #"{"expires_in": 600}"#)
            let after = Date()
            #expect(status == .created)
            let link = try APIJSON.decoder().decode(ShareLink.self, from: Data(body.readableBytesView))
            #expect(link.url == "/api/v1/tracks/\(id)?share=\(link.token)")
            #expect(link.expiresAt.timeIntervalSince(before) >= 599)
            #expect(link.expiresAt.timeIntervalSince(after) <= 600)
            // The link works for anyone, on the private track.
            try await client.execute(uri: link.url, method: .get) { response in #expect(response.status == .ok) }
            try await client.execute(uri: "/api/v1/tracks/\(id)", method: .get) { response in
                #expect(response.status == .notFound)
            }
            #expect(try await post(admin, #"{"expires_in": 3600}"#).0 == .created)
            #expect(try await post(stranger, #"{"expires_in": 600}"#).0 == .notFound)
            #expect(
                try await post(owner, #"{"expires_in": 600}"#, track: UUID().uuidString.lowercased()).0 == .notFound
            )
            #expect(try await post(nil, #"{"expires_in": 600}"#).0 == .unauthorized)
            for bad in [#"{"expires_in": 0}"#, #"{"expires_in": -5}"#, #"{"expires_in": 3601}"#] {
                let (status, body) = try await post(owner, bad)
                #expect(status == .badRequest, "\(bad)")
                #expect(body.apiError?.code == "invalid_argument", "\(bad)")
            }
            let (fractional, fractionalBody) = try await post(owner, #"{"expires_in": 6e2}"#)
            #expect(fractional == .badRequest)
            #expect(fractionalBody.apiError?.code == "invalid_json")
        }
    }
}
