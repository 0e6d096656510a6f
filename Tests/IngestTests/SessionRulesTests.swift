import Database
import Foundation
import HTTPTypes
import HummingbirdTesting
import TestSupport
import Testing

@testable import Ingest
@testable import StreamServer

/// The per-user cap, the 409 with a retry hint while assembling, and the take-over of an assembly
/// whose process died.
@Suite("Upload session rules", .serialized)
struct SessionRulesTests {
    @Test("at most N unfinished uploads per user", arguments: DatabaseEngine.allCases)
    func perUserCap(engine: DatabaseEngine) async throws {
        try await IngestHarness.with(engine, .local) { harness in
            var configuration = harness.configuration
            configuration.maxActiveSessionsPerUser = 2
            let service = UploadService(
                configuration: configuration,
                database: harness.database,
                jobs: JobQueue(database: harness.database),
                store: harness.store,
                logger: TestDatabase.logger
            )
            let owner = UUID()
            let first = try await service.create(ownerID: owner, .init(filename: "a.wav", size: 100))
            _ = try await service.create(ownerID: owner, .init(filename: "b.wav", size: 100))
            let error = await ingestError {
                _ = try await service.create(ownerID: owner, .init(filename: "c.wav", size: 100))
            }
            #expect(error == .tooManySessions)
            _ = try await service.create(ownerID: UUID(), .init(filename: "c.wav", size: 100))
            try await service.abort(uploadID: first.id, ownerID: owner)
            _ = try await service.create(ownerID: owner, .init(filename: "c.wav", size: 100))
        }
    }

    @Test(
        "complete while assembling is 409 with Retry-After; a stale assembly is taken over",
        arguments: DatabaseEngine.allCases
    )
    func assembling(engine: DatabaseEngine) async throws {
        let routes = UploadsRouteTests()
        try await routes.withClient(engine, .local) { harness, client in
            let owner = UUID()
            let data = wavFile(size: 40_000)
            let session = try await harness.create(owner: owner, data)
            try await harness.sendAll(session, data)
            try await harness.database.sql.raw(
                """
                UPDATE upload_sessions SET status = 'assembling', updated_at = \(bind: Date())
                WHERE id = \(bind: session.id)
                """
            ).run()
            let headers = try await routes.bearer(owner)
            try await client.execute(uri: "/api/v1/uploads/\(session.id)/complete", method: .post, headers: headers) {
                response in
                #expect(response.status == .conflict)
                #expect(response.body.apiError?.code == "assembly_in_progress")
                #expect(response.headers[.retryAfter] != nil)
            }
            try await client.execute(
                uri: "/api/v1/uploads/\(session.id)/chunks/0",
                method: .put,
                headers: headers,
                body: .init(bytes: chunk(of: data, session: session, index: 0))
            ) { #expect($0.status == .conflict) }
            // The assembling process died long ago: the next complete takes over.
            try await harness.database.sql.raw(
                """
                UPDATE upload_sessions SET updated_at = \(bind: Date().addingTimeInterval(-3600))
                WHERE id = \(bind: session.id)
                """
            ).run()
            try await client.execute(uri: "/api/v1/uploads/\(session.id)/complete", method: .post, headers: headers) {
                #expect($0.status == .created)
            }
        }
    }
}
