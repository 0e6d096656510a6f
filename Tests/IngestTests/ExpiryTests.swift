import Foundation
import Storage
import TestSupport
import Testing

@testable import Ingest

@Suite("Upload expiry and garbage collection", .serialized)
struct ExpiryTests {
    @Test("expired sessions and abandoned multipart uploads are freed", arguments: UploadServiceTests.combinations)
    func garbageCollection(engine: DatabaseEngine, kind: StoreKind) async throws {
        try await IngestHarness.with(engine, kind, ownBucket: true) { harness in
            let owner = UUID()
            let data = wavFile(size: 50_000)
            let session = try await harness.create(owner: owner, data)
            try await harness.send(session, data, index: 0)
            let live = try await harness.create(owner: owner, data)
            try await harness.send(live, data, index: 0)
            // A multipart upload left by a process that died mid-assembly.
            let prefix = "tracks/\(owner.uuidString.lowercased())/"
            let orphan = try await harness.store.createMultipartUpload(key: prefix + "dead.wav")
            _ = try await harness.store.uploadPart(orphan, partNumber: 1, body: .bytes(randomBytes(1000)))

            // Nothing is due yet.
            let early = try await harness.service.collectGarbage(now: Date())
            #expect(early.expiredSessions == 0 && early.abortedMultipartUploads == 0)
            #expect(harness.spoolExists(session.id))

            // Make one session due; sweep as if a whole session lifetime had passed.
            try await harness.database.sql.raw(
                "UPDATE upload_sessions SET expires_at = \(bind: Date().addingTimeInterval(-1)) WHERE id = \(bind: session.id)"
            ).run()
            let later = Date().addingTimeInterval(harness.configuration.sessionTTL / 2 + 60)
            var report = try await harness.service.collectGarbage(now: later)
            #expect(report.expiredSessions == 1)
            #expect(report.abortedMultipartUploads == 0)
            try await harness.database.sql.raw(
                "UPDATE upload_sessions SET expires_at = \(bind: Date().addingTimeInterval(10 * 86_400)) WHERE id = \(bind: live.id)"
            ).run()
            report = try await harness.service.collectGarbage(
                now: Date().addingTimeInterval(harness.configuration.sessionTTL + 60)
            )
            #expect(report.abortedMultipartUploads == 1)
            #expect(!harness.spoolExists(session.id))
            #expect(try await harness.service.progress(uploadID: session.id, ownerID: owner).session.status == .expired)
            #expect(await ingestError { try await harness.send(session, data, index: 0) } == .gone)
            #expect(try await harness.count("SELECT COUNT(*) AS n FROM upload_chunks") == 1)
            let left = try await harness.leftovers(owner: owner)
            #expect(left.objects.isEmpty && left.multipart.isEmpty)
            await #expect(throws: StorageError.noSuchUpload) { _ = try await harness.store.listParts(orphan) }
            // The live session is untouched.
            #expect(harness.spoolExists(live.id))
            #expect(try await harness.service.progress(uploadID: live.id, ownerID: owner).received == [0])
        }
    }

    @Test(
        "a stalled assembly past its expiry is expired and its multipart upload aborted",
        arguments: DatabaseEngine.allCases
    )
    func stalledAssembly(engine: DatabaseEngine) async throws {
        try await IngestHarness.with(engine, .s3, ownBucket: true) { harness in
            let owner = UUID()
            let data = wavFile(size: 50_000)
            let session = try await harness.create(owner: owner, data)
            try await harness.sendAll(session, data)
            let key = "tracks/\(owner.uuidString.lowercased())/stalled.wav"
            let upload = try await harness.store.createMultipartUpload(key: key)
            _ = try await harness.store.uploadPart(upload, partNumber: 1, body: .bytes(randomBytes(1000)))
            // What a process that died mid-assembly leaves behind.
            let past = Date().addingTimeInterval(-7200)
            try await harness.database.sql.raw(
                """
                UPDATE upload_sessions SET status = 'assembling', updated_at = \(bind: past), expires_at = \(bind: past),
                    storage_key = \(bind: key), multipart_upload_id = \(bind: upload.uploadID)
                WHERE id = \(bind: session.id)
                """
            ).run()
            let report = try await harness.service.collectGarbage(now: Date())
            #expect(report.expiredSessions == 1)
            #expect(try await harness.service.progress(uploadID: session.id, ownerID: owner).session.status == .expired)
            #expect(!harness.spoolExists(session.id))
            await #expect(throws: StorageError.noSuchUpload) { _ = try await harness.store.listParts(upload) }
            let left = try await harness.leftovers(owner: owner)
            #expect(left.objects.isEmpty && left.multipart.isEmpty)
        }
    }
}
