import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing
import VezaClient

@testable import Ingest
@testable import StreamServer

/// `veza upload`'s client against a live server: a fresh upload, and one resumed from a session
/// remembered for the same file.
@Suite("Upload client", .serialized)
struct UploadClientTests {
    final class Seen: @unchecked Sendable {
        let lock = NSLock()
        var first: UploadClient.Progress?
        var last: UploadClient.Progress?
        func record(_ progress: UploadClient.Progress) {
            self.lock.withLock {
                if self.first == nil { self.first = progress }
                self.last = progress
            }
        }
    }

    @Test("uploads, and resumes a remembered session", arguments: UploadServiceTests.combinations)
    func upload(engine: DatabaseEngine, kind: StoreKind) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "veza-client-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = wavFile(size: IngestHarness.fileSize(kind), seed: 31)
        let file = directory.appendingPathComponent("take.wav").path
        try Data(data).write(to: URL(fileURLWithPath: file))
        let stateFile = directory.appendingPathComponent("state.json").path

        try await IngestHarness.with(engine, kind) { harness in
            let owner = UUID()
            let token = try await AccessTokens(secret: UploadsRouteTests.secret).mint(
                Identity(userID: owner, role: .user),
                lifetime: .seconds(600),
                now: Date()
            )
            let router = Router(context: AppRequestContext.self)
            router.add(middleware: JSONErrorMiddleware())
            router.add(middleware: BearerAuthMiddleware(tokens: await AccessTokens(secret: UploadsRouteTests.secret)))
            router.addRoutes(UploadsController(uploads: harness.service).endpoints, atPath: "api/v1")
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await app.test(.live) { client in
                let server = "http://127.0.0.1:\(try #require(client.port))"
                let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
                defer { _ = httpClient.shutdown() }
                let options = UploadClient.Options(server: server, token: token, title: "Take", stateFile: stateFile)

                // Fresh.
                let fresh = Seen()
                let trackID = try await UploadClient(httpClient: httpClient, options: options).upload(file: file) {
                    fresh.record($0)
                }
                let track = try #require(try await TrackRepositoryProbe.find(harness, id: trackID))
                #expect(track.sha256 == sha256Hex(data))
                #expect(track.title == "Take")
                #expect(fresh.last?.sentBytes == Int64(data.count))

                // Interrupted earlier: a session with two chunks in, remembered for this file.
                let session = try await harness.create(owner: owner, data, filename: "take.wav")
                try await harness.send(session, data, index: 0)
                try await harness.send(session, data, index: 2)
                let attributes = try FileManager.default.attributesOfItem(atPath: file)
                let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                let key = "\(server)|\(URL(fileURLWithPath: file).standardizedFileURL.path)|\(data.count)|\(modified)"
                try JSONEncoder().encode([key: session.id.uuidString.lowercased()]).write(
                    to: URL(fileURLWithPath: stateFile)
                )
                let resumed = Seen()
                let second = try await UploadClient(httpClient: httpClient, options: options).upload(file: file) {
                    resumed.record($0)
                }
                #expect(
                    resumed.first?.resumedBytes == session.expectedLength(ofChunk: 0)
                        + session.expectedLength(ofChunk: 2)
                )
                let progress = try await harness.service.progress(uploadID: session.id, ownerID: owner)
                #expect(progress.session.trackID?.uuidString.lowercased() == second)
                // The state entry is dropped once the track exists.
                let state = try JSONDecoder().decode(
                    [String: String].self,
                    from: Data(contentsOf: URL(fileURLWithPath: stateFile))
                )
                #expect(state.isEmpty)

                // Resumed without a declared digest (as this client creates sessions): the chunks
                // the server has are read and hashed, not sent, and the digest goes to complete.
                let undeclared = try await harness.create(owner: owner, data, declaredSHA256: .some(nil))
                try await harness.send(undeclared, data, index: 1)
                try JSONEncoder().encode([key: undeclared.id.uuidString.lowercased()]).write(
                    to: URL(fileURLWithPath: stateFile)
                )
                let third = try await UploadClient(httpClient: httpClient, options: options).upload(file: file) { _ in }
                let thirdTrack = try #require(try await TrackRepositoryProbe.find(harness, id: third))
                #expect(thirdTrack.sha256 == sha256Hex(data))
                #expect(try await harness.storedDigest(thirdTrack.storageKey).0 == sha256Hex(data))
            }
        }
    }
}
