import Catalog
import Database
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Storage
import TestSupport
import Testing

@testable import StreamServer

@Suite("Track library: listing, editing, deleting, upload limits")
struct TrackLibraryTests {
    static func bearer(_ identity: Identity) async throws -> HTTPFields {
        [.authorization: "Bearer \(try await TestApp.token(for: identity))"]
    }

    static func ids(_ body: ByteBuffer) -> [String] {
        ((body.jsonObject?["tracks"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
    }

    @Test("GET /me/tracks pages newest first on (created_at, id), ties included", arguments: DatabaseEngine.allCases)
    func pagination(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine) { components, client in
            let owner = Identity(userID: UUID(), role: .user)
            let base = Date(timeIntervalSince1970: 1_790_000_000.123456)
            var expected: [Track] = []
            // Seven tracks, three of them created at the same instant: only the id breaks the tie.
            for offset in [0.0, 1, 1, 1, 2, 3.5, 4] {
                var track = try await storeTrack(components, bytes: [1, 2, 3], owner: owner.userID)
                track.createdAt = base.addingTimeInterval(offset)
                _ = try await components.database.sql.raw(
                    "UPDATE tracks SET created_at = \(bind: track.createdAt) WHERE id = \(bind: track.id)"
                ).run()
                expected.append(track)
            }
            _ = try await storeTrack(components, bytes: [1], owner: UUID())  // someone else's
            expected.sort { ($0.createdAt, $0.id.uuidString) > ($1.createdAt, $1.id.uuidString) }
            let headers = try await Self.bearer(owner)
            var seen: [String] = []
            var cursor: String? = nil
            var pages = 0
            repeat {
                let query = "limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                try await client.execute(uri: "/api/v1/me/tracks?\(query)", method: .get, headers: headers) {
                    response in
                    #expect(response.status == .ok)
                    let page = Self.ids(response.body)
                    #expect(page.count <= 3)
                    seen += page
                    cursor = response.body.jsonObject?["next_cursor"] as? String
                }
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == expected.map { $0.id.uuidString.lowercased() })
            #expect(seen.allSatisfy { $0 == $0.lowercased() })
            // Bad limit and cursor: 400 with the JSON error body.
            for (query, code) in [
                ("limit=0", "invalid_argument"), ("limit=101", "invalid_argument"), ("limit=x", "invalid_argument"),
                ("cursor=nope", "invalid_cursor"), ("cursor=1.5_not-a-uuid", "invalid_cursor"),
            ] {
                try await client.execute(uri: "/api/v1/me/tracks?\(query)", method: .get, headers: headers) {
                    response in
                    #expect(response.status == .badRequest, "\(query)")
                    #expect(response.body.apiError?.code == code, "\(query)")
                }
            }
            try await client.execute(uri: "/api/v1/me/tracks", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("GET /users/{id}/tracks lists public, ready tracks only", arguments: DatabaseEngine.allCases)
    func publicListing(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine) { components, client in
            let owner = UUID()
            let listed = try await storeTrack(components, bytes: [1], owner: owner)
            _ = try await storeTrack(components, bytes: [1], visibility: .unlisted, owner: owner)
            _ = try await storeTrack(components, bytes: [1], visibility: .private, owner: owner)
            _ = try await storeTrack(components, bytes: [1], status: .processing, owner: owner)
            // The id in upper case is the same user.
            try await client.execute(uri: "/api/v1/users/\(owner.uuidString.uppercased())/tracks", method: .get) {
                response in
                #expect(response.status == .ok)
                #expect(Self.ids(response.body) == [listed.id.uuidString.lowercased()])
                #expect(response.body.jsonObject?.keys.contains("next_cursor") == true)
            }
            try await client.execute(uri: "/api/v1/users/not-a-uuid/tracks", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test("PATCH /tracks/{id}: owner and admin edit, others get 404, bad input 400", arguments: DatabaseEngine.allCases)
    func update(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine) { components, client in
            let owner = Identity(userID: UUID(), role: .user)
            let track = try await storeTrack(components, bytes: [1], owner: owner.userID)
            let uri = "/api/v1/tracks/\(track.id.uuidString.uppercased())"
            let json: HTTPFields = [.contentType: "application/json"]
            func patch(_ body: String, as identity: Identity) async throws -> (HTTPResponse.Status, ByteBuffer) {
                var headers = try await Self.bearer(identity)
                headers.append(contentsOf: json)
                return try await client.execute(
                    uri: uri,
                    method: .patch,
                    headers: headers,
                    body: ByteBuffer(string: body)
                ) { ($0.status, $0.body) }
            }
            let (status, body) = try await patch(#"{"title":"  New name ","visibility":"private"}"#, as: owner)
            #expect(status == .ok)
            #expect(body.jsonObject?["title"] as? String == "New name")
            #expect(body.jsonObject?["visibility"] as? String == "private")
            #expect(body.jsonObject?["id"] as? String == track.id.uuidString.lowercased())
            let admin = Identity(userID: UUID(), role: .admin)
            #expect(try await patch(#"{"visibility":"unlisted"}"#, as: admin).0 == .ok)
            let stranger = Identity(userID: UUID(), role: .user)
            let refused = try await patch(#"{"title":"mine now"}"#, as: stranger)
            #expect(refused.0 == .notFound)
            #expect(refused.1.apiError?.code == "not_found")
            for bad in [
                #"{}"#, #"{"title":"   "}"#, #"{"visibility":"secret"}"#, #"{"title":5}"#, "not json",
                "{\"title\":\"\(String(repeating: "x", count: 301))\"}",
            ] {
                let (status, body) = try await patch(bad, as: owner)
                #expect(status == .badRequest, "\(bad)")
                #expect(body.apiError != nil, "\(bad)")
            }
            let stored = try #require(try await components.tracks.find(id: track.id))
            #expect(stored.title == "New name")
            #expect(stored.visibility == .unlisted)
        }
    }

    @Test(
        "DELETE /tracks/{id}: 204, never served again, the cleanup job removes every object, then the row",
        arguments: DatabaseEngine.allCases,
        StoreBackend.allCases
    )
    func delete(engine: DatabaseEngine, store: StoreBackend) async throws {
        try await TestApp.with(engine, store: store) { components, client in
            let owner = Identity(userID: UUID(), role: .user)
            var track = try await storeTrack(components, bytes: [1, 2, 3], owner: owner.userID, stream: .some([4]))
            let prefix = try #require(track.hlsPrefix)
            let objects = [prefix + "master.m3u8", prefix + "a128/seg-0.m4s", prefix + "waveform.json"]
            for key in objects { _ = try await components.store.put(key: key, body: .bytes([9])) }
            // An older tree of the same track, left by an interrupted re-transcode.
            let stale = "hls/\(track.id.uuidString.lowercased())/\(UUID().uuidString.lowercased())/init.mp4"
            _ = try await components.store.put(key: stale, body: .bytes([9]))
            track.waveformKey = prefix + "waveform.json"
            let other = try await storeTrack(components, bytes: [7], owner: owner.userID)
            let uri = "/api/v1/tracks/\(track.id.uuidString.lowercased())"

            try await client.execute(
                uri: uri,
                method: .delete,
                headers: try await Self.bearer(Identity(userID: UUID(), role: .user))
            ) {
                #expect($0.status == .notFound)
            }
            try await client.execute(
                uri: uri.uppercased().replacingOccurrences(of: "/API/V1/TRACKS", with: "/api/v1/tracks"),
                method: .delete,
                headers: try await Self.bearer(owner)
            ) {
                #expect($0.status == .noContent)
            }
            // Gone from every route at once, before any object is removed.
            #expect(try await components.store.head(key: track.storageKey) != nil)
            for path in [uri, uri + "/stream", uri + "/hls/master.m3u8"] {
                try await client.execute(uri: path, method: .get, headers: try await Self.bearer(owner)) {
                    #expect($0.status == .notFound, "\(path)")
                }
            }
            try await client.execute(uri: uri, method: .delete, headers: try await Self.bearer(owner)) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/me/tracks", method: .get, headers: try await Self.bearer(owner)) {
                #expect(Self.ids($0.body) == [other.id.uuidString.lowercased()])
            }
            // The job, run twice (a retry after a lost lease must be harmless).
            let claim = try #require(
                try await components.jobs.claim(queue: TrackCleanupJobPayload.queue, workerID: "test")
            )
            guard case .run(let job) = claim else {
                Issue.record("job buried: \(claim)")
                return
            }
            try await components.cleanupHandler.handle(job, logger: TestDatabase.logger)
            try await components.cleanupHandler.handle(job, logger: TestDatabase.logger)
            try await components.jobs.complete(job, workerID: "test")
            for key in [track.storageKey, stale] + objects + [track.streamKey!] {
                #expect(try await components.store.head(key: key) == nil, "\(key)")
            }
            #expect(try await components.tracks.findDeleted(id: track.id) == nil)
            let rows = try await components.database.sql.raw(
                "SELECT id FROM tracks WHERE id = \(bind: track.id)"
            ).all()
            #expect(rows.isEmpty)
            // The other track and its source are untouched.
            #expect(try await components.store.head(key: other.storageKey) != nil)
            #expect(try await components.tracks.find(id: other.id) != nil)
        }
    }

    @Test(
        "a deleted track refuses every later state change (a transcode finishing late)",
        arguments: DatabaseEngine.allCases
    )
    func deletedIsTerminal(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine) { components, _ in
            let track = try await storeTrack(components, bytes: [1], status: .processing)
            try await components.tracks.apply(.deletionRequested, to: track.id)
            await #expect(throws: TrackError.notFound) {
                try await components.tracks.apply(.transcodeFailed(reason: "late"), to: track.id)
            }
            var machine = Track.StateMachine(status: .ready, isDeleted: true)
            #expect(machine.apply(.transcodeSucceeded) == .reject(from: .ready))
            #expect(machine.apply(.deletionRequested) == .reject(from: .ready))
        }
    }

    @Test("GET /upload/limits says what create checks", arguments: DatabaseEngine.allCases)
    func uploadLimits(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine) { components, client in
            try await client.execute(uri: "/api/v1/upload/limits", method: .get) { response in
                #expect(response.status == .ok)
                let audio = try #require(response.body.jsonObject?["audio"] as? [String: Any])
                #expect(audio["max_bytes"] as? Int == 100 * 1024 * 1024)
                #expect(audio["max_human"] as? String == "100 MiB")
                let types = try #require(audio["allowed_types"] as? [String])
                #expect(types.contains("audio/wav") && types.contains("audio/mpeg") && types.contains("audio/flac"))
                #expect(response.body.jsonObject?["chunk_size"] as? Int == Int(components.uploads.chunkSize))
            }
            // One byte over the advertised limit is refused at create.
            let owner = Identity(userID: UUID(), role: .user)
            var headers = try await Self.bearer(owner)
            headers[.contentType] = "application/json"
            let body = #"{"filename":"a.wav","size":\#(100 * 1024 * 1024 + 1)}"#
            try await client.execute(
                uri: "/api/v1/uploads",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: body)
            ) {
                #expect($0.status.code == 413 || $0.status.code == 400)
            }
        }
    }
}
