import Catalog
import Database
import Foundation
import Storage
import TestSupport
import Testing

@testable import Ingest

/// The prefix assembly: the store's upload is fed while the chunks arrive, `complete` sends the rest.
@Suite("Assemble while receiving", .serialized)
struct AssembleWhileReceivingTests {
    enum Order: String, CaseIterable, Sendable {
        case inOrder, reverse, shuffled, oneMissingUntilTheEnd
    }

    static let combinations = DatabaseEngine.allCases.flatMap { engine in
        StoreKind.allCases.flatMap { kind in Order.allCases.map { (engine, kind, $0) } }
    }

    /// Runs `body` with the harness's prefix assembly service running.
    static func withPrefixService(_ service: UploadService, _ body: () async throws -> Void) async throws {
        let running = Task { try await service.prefixAssemblyService.run() }
        defer { running.cancel() }
        try await Task.sleep(for: .milliseconds(50))
        try await body()
    }

    /// Waits until the driver of `uploadID` has sent at least `bytes` (or 20 s passed).
    static func waitFed(_ service: UploadService, _ uploadID: UUID, _ bytes: Int64) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while service.prefixes.fed(uploadID) < bytes, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test("chunks in any order land byte-identical with the right digest", arguments: combinations)
    func anyOrder(engine: DatabaseEngine, kind: StoreKind, order: Order) async throws {
        try await IngestHarness.with(engine, kind) { harness in
            let owner = UUID()
            let data = wavFile(size: IngestHarness.fileSize(kind), seed: 3)
            let session = try await harness.create(owner: owner, data)
            var indices = Array(0..<session.totalChunks)
            switch order {
            case .inOrder: break
            case .reverse: indices.reverse()
            case .shuffled: indices.shuffle()
            case .oneMissingUntilTheEnd:
                let missing = indices.remove(at: 1)
                indices.append(missing)
            }
            try await Self.withPrefixService(harness.service) {
                for index in indices { try await harness.send(session, data, index: index) }
                if order == .inOrder {
                    // Everything but the rest is in the store before `complete`.
                    let whole = kind == .s3 ? harness.configuration.partSize * 2 : Int64(data.count)
                    try await Self.waitFed(harness.service, session.id, whole)
                }
                let completion = try await harness.service.complete(uploadID: session.id, ownerID: owner)
                let track = completion.track
                #expect(track.sha256 == sha256Hex(data))
                #expect(track.sizeBytes == Int64(data.count))
                let (digest, size) = try await harness.storedDigest(track.storageKey)
                #expect(digest == sha256Hex(data))
                #expect(size == data.count)
                if order == .inOrder {
                    #expect((harness.service.prefixes.handedOverBytes(session.id) ?? 0) > 0)
                }
                let left = try await harness.leftovers(owner: owner)
                #expect(left.objects == [track.storageKey])
                #expect(left.multipart.isEmpty)
                #expect(try await harness.count("SELECT COUNT(*) AS n FROM upload_pending_aborts") == 0)
            }
        }
    }

    @Test(
        "in order, receipts keep pace with the store: the last one comes when all but two chunks are sent",
        arguments: DatabaseEngine.allCases.flatMap { e in StoreKind.allCases.map { (e, $0) } }
    )
    func paced(engine: DatabaseEngine, kind: StoreKind) async throws {
        try await IngestHarness.with(engine, kind) { harness in
            let owner = UUID()
            let data = wavFile(size: IngestHarness.fileSize(kind), seed: 6)
            let session = try await harness.create(owner: owner, data)
            try await Self.withPrefixService(harness.service) {
                try await harness.sendAll(session, data)
                // No waiting here: the receipts waited for the driver.
                #expect(harness.service.prefixes.fed(session.id) >= Int64(session.totalChunks - 2) * session.chunkSize)
                let track = try await harness.service.complete(uploadID: session.id, ownerID: owner).track
                #expect(track.sha256 == sha256Hex(data))
            }
        }
    }

    @Test(
        "a wrong digest leaves nothing in the store and the upload resumable",
        arguments: DatabaseEngine.allCases.flatMap { e in StoreKind.allCases.map { (e, $0) } }
    )
    func wrongDigest(engine: DatabaseEngine, kind: StoreKind) async throws {
        try await IngestHarness.with(engine, kind) { harness in
            let owner = UUID()
            let data = wavFile(size: IngestHarness.fileSize(kind), seed: 4)
            let session = try await harness.create(
                owner: owner,
                data,
                declaredSHA256: String(repeating: "0", count: 64)
            )
            try await Self.withPrefixService(harness.service) {
                try await harness.sendAll(session, data)
                let error = await ingestError {
                    _ = try await harness.service.complete(uploadID: session.id, ownerID: owner)
                }
                guard case .checksumMismatch = error else {
                    Issue.record("expected a checksum mismatch, got \(String(describing: error))")
                    return
                }
                let left = try await harness.leftovers(owner: owner)
                #expect(left.objects.isEmpty && left.multipart.isEmpty)
                let progress = try await harness.service.progress(uploadID: session.id, ownerID: owner)
                #expect(progress.session.status == .receiving && progress.missing.isEmpty)
            }
        }
    }

    @Test(
        "a process killed with half the prefix stored resumes and completes, nothing orphaned",
        arguments: DatabaseEngine.allCases
    )
    func killedMidUpload(engine: DatabaseEngine) async throws {
        try await IngestHarness.with(engine, .s3) { harness in
            let owner = UUID()
            let data = wavFile(size: IngestHarness.fileSize(.s3), seed: 5)
            let session = try await harness.create(owner: owner, data)
            let half = session.totalChunks / 2 + 1
            // The first process: its driver sends the first part, then the process dies (cancelled).
            let first = UploadService(
                configuration: harness.configuration,
                database: harness.database,
                jobs: JobQueue(database: harness.database),
                store: harness.store,
                logger: TestDatabase.logger
            )
            let running = Task { try await first.prefixAssemblyService.run() }
            try await Task.sleep(for: .milliseconds(50))
            for index in 0..<half {
                _ = try await first.putChunk(
                    uploadID: session.id,
                    ownerID: owner,
                    index: index,
                    body: byteStream(chunk(of: data, session: session, index: index)),
                    checksum: nil
                )
            }
            try await Self.waitFed(first, session.id, harness.configuration.partSize)
            try await Task.sleep(for: .milliseconds(500))
            running.cancel()
            _ = await running.result
            #expect(try await harness.leftovers(owner: owner).multipart.count == 1)
            // The restarted process gets the rest and completes.
            try await Self.withPrefixService(harness.service) {
                for index in half..<session.totalChunks { try await harness.send(session, data, index: index) }
                let track = try await harness.service.complete(uploadID: session.id, ownerID: owner).track
                let (digest, size) = try await harness.storedDigest(track.storageKey)
                #expect(digest == sha256Hex(data) && size == data.count)
                let left = try await harness.leftovers(owner: owner)
                #expect(left.objects == [track.storageKey])
                #expect(left.multipart.isEmpty)
                #expect(try await harness.count("SELECT COUNT(*) AS n FROM upload_pending_aborts") == 0)
            }
        }
    }
}
