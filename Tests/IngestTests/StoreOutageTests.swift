import Database
import Foundation
import Storage
import TestSupport
import Testing

@testable import Ingest

@Suite("Store outage during complete")
struct StoreOutageTests {
    @Test(
        "an unreachable store gives store_unavailable; complete succeeds once it is back",
        arguments: DatabaseEngine.allCases
    )
    func unreachableStore(engine: DatabaseEngine) async throws {
        try await IngestHarness.with(engine, .s3) { harness in
            // The same database and spool, but the store's address refuses connections.
            var configuration = try S3TestServer.configuration()
            configuration.endpoint = "http://127.0.0.1:9"
            // One attempt: the retries' backoff would only slow the test down.
            configuration.retry.maximumAttempts = 1
            configuration.timeouts = .init(connect: .seconds(1), request: .seconds(3), upload: .seconds(5))
            let deadStore = try S3Store(configuration: configuration)
            let down = UploadService(
                configuration: harness.configuration,
                database: harness.database,
                jobs: JobQueue(database: harness.database),
                store: deadStore,
                logger: TestDatabase.logger
            )
            let owner = UUID()
            for size in [60_000, IngestHarness.fileSize(.s3)] {
                let data = wavFile(size: size, seed: UInt64(size))
                let session = try await harness.create(owner: owner, data)
                try await harness.sendAll(session, data)
                let error = await ingestError { _ = try await down.complete(uploadID: session.id, ownerID: owner) }
                #expect(error == .storeUnavailable)
                #expect(error?.retryAfterSeconds != nil)
                let progress = try await harness.service.progress(uploadID: session.id, ownerID: owner)
                #expect(progress.session.status == .receiving)
                #expect(progress.missing.isEmpty)
                let completion = try await harness.service.complete(uploadID: session.id, ownerID: owner)
                #expect(completion.created)
                #expect(try await harness.storedDigest(completion.track.storageKey).0 == sha256Hex(data))
            }
            try await deadStore.shutdown()
        }
    }
}
