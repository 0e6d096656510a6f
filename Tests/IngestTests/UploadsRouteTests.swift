import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

@testable import Ingest
@testable import StreamServer

/// The `/api/v1/uploads` routes over the real service, on both databases and both stores.
@Suite("Upload routes", .serialized)
struct UploadsRouteTests {
    static let secret = String(repeating: "u", count: 40)

    func withClient(
        _ engine: DatabaseEngine,
        _ kind: StoreKind,
        _ body: @Sendable (IngestHarness, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await IngestHarness.with(engine, kind, maxUploadBytes: 20 * 1024 * 1024) { harness in
            let router = Router(context: AppRequestContext.self)
            router.add(middleware: JSONErrorMiddleware())
            router.add(middleware: BearerAuthMiddleware(tokens: await AccessTokens(secret: Self.secret)))
            router.addRoutes(UploadsController(uploads: harness.service).endpoints, atPath: "api/v1")
            try await Application(router: router).test(.router) { client in try await body(harness, client) }
        }
    }

    func bearer(_ user: UUID) async throws -> HTTPFields {
        let token = try await AccessTokens(secret: Self.secret).mint(
            Identity(userID: user, role: .user),
            lifetime: .seconds(600),
            now: Date()
        )
        return [.authorization: "Bearer \(token)", .contentType: "application/json"]
    }

    func json(_ object: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }

    @Test("create, chunks, status, complete, repeat, abort", arguments: UploadServiceTests.combinations)
    func lifecycle(engine: DatabaseEngine, kind: StoreKind) async throws {
        try await self.withClient(engine, kind) { harness, client in
            let owner = UUID()
            let headers = try await self.bearer(owner)
            let data = wavFile(size: IngestHarness.fileSize(kind), seed: 9)

            try await client.execute(
                uri: "/api/v1/uploads",
                method: .post,
                body: try self.json(["filename": "a.wav", "size": 10])
            ) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(
                uri: "/api/v1/uploads",
                method: .post,
                headers: headers,
                body: try self.json(["filename": "a.wav", "size": 21 * 1024 * 1024])
            ) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.body.apiError?.code == "upload_too_large")
                #expect(response.body.apiError?.message.contains("20 MiB") == true)
            }
            try await client.execute(
                uri: "/api/v1/uploads",
                method: .post,
                headers: headers,
                body: try self.json(["filename": "a.wav", "size": "big"])
            ) { #expect($0.status == .badRequest) }

            var id = ""
            var total = 0
            var chunkSize = 0
            try await client.execute(
                uri: "/api/v1/uploads",
                method: .post,
                headers: headers,
                body: try self.json(["filename": "a.wav", "size": data.count, "sha256": sha256Hex(data), "title": "A"])
            ) { response in
                #expect(response.status == .created)
                let object = response.body.jsonObject ?? [:]
                id = object["id"] as? String ?? ""
                total = object["total_chunks"] as? Int ?? 0
                chunkSize = object["chunk_size"] as? Int ?? 0
                #expect(object["expires_at"] is String)
            }
            #expect(total > 2 && chunkSize == Int(IngestHarness.chunkSize(kind)))
            func piece(_ index: Int) -> [UInt8] {
                Array(data[(index * chunkSize)..<min(data.count, (index + 1) * chunkSize)])
            }
            var chunkHeaders = headers
            chunkHeaders[.contentType] = "application/octet-stream"
            chunkHeaders[UploadsController.chunkChecksumField] = String(repeating: "0", count: 64)
            try await client.execute(
                uri: "/api/v1/uploads/\(id)/chunks/0",
                method: .put,
                headers: chunkHeaders,
                body: ByteBuffer(bytes: piece(0))
            ) { response in
                #expect(response.status == .unprocessableContent)
                #expect(response.body.apiError?.code == "chunk_checksum_mismatch")
            }
            chunkHeaders[UploadsController.chunkChecksumField] = nil
            try await client.execute(
                uri: "/api/v1/uploads/\(id)/chunks/0",
                method: .put,
                headers: chunkHeaders,
                body: ByteBuffer(bytes: piece(0) + [1, 2, 3])
            ) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.body.apiError?.message.contains("\(chunkSize)") == true)
            }
            for index in (0..<total).reversed() {
                var headers = chunkHeaders
                headers[UploadsController.chunkChecksumField] = sha256Hex(piece(index))
                try await client.execute(
                    uri: "/api/v1/uploads/\(id)/chunks/\(index)",
                    method: .put,
                    headers: headers,
                    body: ByteBuffer(bytes: piece(index))
                ) { response in
                    #expect(response.status == .ok)
                    #expect(response.body.jsonObject?["sha256"] as? String == sha256Hex(piece(index)))
                }
            }
            try await client.execute(uri: "/api/v1/uploads/\(id)", method: .get, headers: try await self.bearer(UUID()))
            {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/uploads/\(id)", method: .get, headers: headers) { response in
                #expect(response.status == .ok)
                let object = response.body.jsonObject ?? [:]
                #expect((object["received_chunks"] as? [Int])?.count == total)
                #expect((object["missing_chunks"] as? [Int]) == [])
            }
            var trackID = ""
            try await client.execute(uri: "/api/v1/uploads/\(id)/complete", method: .post, headers: headers) {
                response in
                #expect(response.status == .created)
                let track = response.body.jsonObject?["track"] as? [String: Any] ?? [:]
                trackID = track["id"] as? String ?? ""
                #expect(track["status"] as? String == "processing")
                #expect(track["sha256"] as? String == sha256Hex(data))
            }
            try await client.execute(uri: "/api/v1/uploads/\(id)/complete", method: .post, headers: headers) {
                response in
                #expect(response.status == .ok)
                #expect((response.body.jsonObject?["track"] as? [String: Any])?["id"] as? String == trackID)
            }

            // A second upload, aborted.
            var second = ""
            try await client.execute(
                uri: "/api/v1/uploads",
                method: .post,
                headers: headers,
                body: try self.json(["filename": "b.wav", "size": data.count])
            ) { second = $0.body.jsonObject?["id"] as? String ?? "" }
            try await client.execute(
                uri: "/api/v1/uploads/\(second)/chunks/0",
                method: .put,
                headers: chunkHeaders,
                body: ByteBuffer(bytes: piece(0))
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/uploads/\(second)", method: .delete, headers: headers) {
                #expect($0.status == .noContent)
            }
            try await client.execute(uri: "/api/v1/uploads/\(second)/complete", method: .post, headers: headers) {
                #expect($0.status == .gone)
            }
            let left = try await harness.leftovers(owner: owner)
            #expect(left.objects.count == 1 && left.multipart.isEmpty)
        }
    }

    @Test(
        "the whole file's digest sent with complete is checked like a declared one",
        arguments: UploadServiceTests.combinations
    )
    func digestAtComplete(engine: DatabaseEngine, kind: StoreKind) async throws {
        try await self.withClient(engine, kind) { harness, client in
            let owner = UUID()
            let headers = try await self.bearer(owner)
            let data = wavFile(size: IngestHarness.fileSize(kind), seed: 12)
            let digest = sha256Hex(data)
            let session = try await harness.create(owner: owner, data, declaredSHA256: .some(nil))
            try await harness.sendAll(session, data)
            let complete = "/api/v1/uploads/\(session.id.uuidString.lowercased())/complete"
            func status() async throws -> UploadStatus {
                try await harness.service.progress(uploadID: session.id, ownerID: owner).session.status
            }

            // Malformed: 400, nothing changes.
            try await client.execute(
                uri: complete,
                method: .post,
                headers: headers,
                body: try self.json(["sha256": "xyz"])
            ) {
                response in
                #expect(response.status == .badRequest)
                #expect(response.body.apiError?.code == "invalid_argument")
            }
            try await client.execute(uri: complete, method: .post, headers: headers, body: ByteBuffer(string: "{")) {
                #expect($0.status == .badRequest)
                #expect($0.body.apiError?.code == "invalid_json")
            }
            var textHeaders = headers
            textHeaders[.contentType] = "text/plain"
            try await client.execute(
                uri: complete,
                method: .post,
                headers: textHeaders,
                body: ByteBuffer(string: digest)
            ) {
                #expect($0.status == .unsupportedMediaType)
            }
            #expect(try await status() == .receiving)

            // A wrong digest: 422, nothing in the store, the upload stays resumable.
            let wrong = sha256Hex(Array(data.dropLast()))
            try await client.execute(
                uri: complete,
                method: .post,
                headers: headers,
                body: try self.json(["sha256": wrong])
            ) {
                response in
                #expect(response.status == .unprocessableContent)
                #expect(response.body.apiError?.code == "checksum_mismatch")
                #expect(response.body.apiError?.message.contains(wrong) == true)
            }
            let left = try await harness.leftovers(owner: owner)
            #expect(left.objects.isEmpty && left.multipart.isEmpty)
            let progress = try await harness.service.progress(uploadID: session.id, ownerID: owner)
            #expect(progress.session.status == .receiving && progress.missing.isEmpty)

            // The right one (upper case is accepted): 201, then 200 with the same track.
            var trackID = ""
            try await client.execute(
                uri: complete,
                method: .post,
                headers: headers,
                body: try self.json(["sha256": digest.uppercased()])
            ) { response in
                #expect(response.status == .created)
                let track = response.body.jsonObject?["track"] as? [String: Any] ?? [:]
                trackID = track["id"] as? String ?? ""
                #expect(track["sha256"] as? String == digest)
            }
            let track = try #require(try await TrackRepositoryProbe.find(harness, id: trackID))
            #expect(try await harness.storedDigest(track.storageKey).0 == digest)
            try await client.execute(
                uri: complete,
                method: .post,
                headers: headers,
                body: try self.json(["sha256": digest])
            ) {
                #expect($0.status == .ok)
            }
            try await client.execute(
                uri: complete,
                method: .post,
                headers: headers,
                body: try self.json(["sha256": wrong])
            ) {
                #expect($0.status == .badRequest)
                #expect($0.body.apiError?.code == "invalid_argument")
            }

            // Declared at create and sent again: they must agree (400 otherwise, nothing changes).
            let declared = try await harness.create(owner: owner, data)
            try await harness.sendAll(declared, data)
            let second = "/api/v1/uploads/\(declared.id.uuidString.lowercased())/complete"
            try await client.execute(
                uri: second,
                method: .post,
                headers: headers,
                body: try self.json(["sha256": wrong])
            ) {
                response in
                #expect(response.status == .badRequest)
                #expect(response.body.apiError?.message.contains("declared") == true)
            }
            #expect(
                try await harness.service.progress(uploadID: declared.id, ownerID: owner).session.status == .receiving
            )
            try await client.execute(
                uri: second,
                method: .post,
                headers: headers,
                body: try self.json(["sha256": digest])
            ) {
                #expect($0.status == .created)
            }
        }
    }

    @Test("a non-audio upload gets 415 and missing chunks 409", arguments: DatabaseEngine.allCases)
    func refusals(engine: DatabaseEngine) async throws {
        try await self.withClient(engine, .local) { harness, client in
            let owner = UUID()
            let headers = try await self.bearer(owner)
            let data = Array("<html>".utf8) + randomBytes(20_000)
            let session = try await harness.create(owner: owner, data, filename: "x.mp3")
            try await client.execute(uri: "/api/v1/uploads/\(session.id)/complete", method: .post, headers: headers) {
                response in
                #expect(response.status == .conflict)
                #expect(response.body.apiError?.code == "missing_chunks")
            }
            try await harness.sendAll(session, data)
            try await client.execute(uri: "/api/v1/uploads/\(session.id)/complete", method: .post, headers: headers) {
                response in
                #expect(response.status == .unsupportedMediaType)
                #expect(response.body.apiError?.code == "unsupported_media_type")
            }
            try await client.execute(uri: "/api/v1/uploads/not-a-uuid", method: .get, headers: headers) {
                #expect($0.status == .notFound)
            }
        }
    }
}

extension ByteBuffer {
    var jsonObject: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(self.readableBytesView))) as? [String: Any]
    }

    var apiError: (code: String, message: String)? {
        guard let error = self.jsonObject?["error"] as? [String: Any],
            let code = error["code"] as? String, let message = error["message"] as? String
        else { return nil }
        return (code, message)
    }
}
