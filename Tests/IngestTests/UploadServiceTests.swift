import Catalog
import Database
import Foundation
import Storage
import TestSupport
import Testing

@testable import Ingest

/// The upload service on both databases and both stores.
@Suite("Upload service", .serialized)
struct UploadServiceTests {
    static let combinations = DatabaseEngine.allCases.flatMap { engine in StoreKind.allCases.map { (engine, $0) } }

    @Test("out-of-order and retried chunks complete into a verified track", arguments: combinations)
    func outOfOrderChunks(engine: DatabaseEngine, kind: StoreKind) async throws {
        try await IngestHarness.with(engine, kind) { harness in
            let owner = UUID()
            let data = wavFile(size: IngestHarness.fileSize(kind))
            let session = try await harness.create(owner: owner, data)
            #expect(session.totalChunks > 3)
            for index in (0..<session.totalChunks).reversed() {
                try await harness.send(session, data, index: index)
            }
            // A retried chunk replaces the first copy.
            try await harness.send(session, data, index: 1)
            try await harness.send(
                session,
                data,
                index: 1,
                checksum: sha256Hex(chunk(of: data, session: session, index: 1))
            )
            let progress = try await harness.service.progress(uploadID: session.id, ownerID: owner)
            #expect(progress.missing.isEmpty)
            #expect(progress.received == Array(0..<session.totalChunks))
            #expect(progress.receivedBytes == Int64(data.count))

            let completion = try await harness.service.complete(uploadID: session.id, ownerID: owner)
            #expect(completion.created)
            let track = completion.track
            #expect(track.status == .processing)
            #expect(track.sha256 == sha256Hex(data))
            #expect(track.sizeBytes == Int64(data.count))
            #expect(track.storageBackend == (kind == .s3 ? .s3 : .local))
            #expect(track.contentType == "audio/wav")
            #expect(track.storageKey == Track.sourceKey(ownerID: owner, trackID: track.id, fileExtension: "wav"))
            let (digest, size) = try await harness.storedDigest(track.storageKey)
            if kind == .s3 {
                // Three 5 MiB parts (the last shorter): the multipart path, not a single put.
                #expect(try await harness.store.head(key: track.storageKey)?.etag.hasSuffix("-3") == true)
            }
            #expect(digest == sha256Hex(data))
            #expect(size == data.count)
            let row = try await TrackRepository(database: harness.database).find(id: track.id)
            #expect(row?.sha256 == track.sha256 && row?.storageKey == track.storageKey && row?.status == .processing)
            let jobs = try await JobQueue(database: harness.database).counts(queue: "transcode")
            #expect(jobs[.queued] == 1)
            #expect(!harness.spoolExists(session.id))
            #expect(try await harness.count("SELECT COUNT(*) AS n FROM upload_chunks") == 0)
            let left = try await harness.leftovers(owner: owner)
            #expect(left.objects == [track.storageKey])
            #expect(left.multipart.isEmpty)
            let after = try await harness.service.progress(uploadID: session.id, ownerID: owner)
            #expect(after.session.status == .completed)
            #expect(after.session.trackID == track.id)
            #expect(after.missing.isEmpty && after.received.count == session.totalChunks)
        }
    }

    @Test("a corrupted chunk is refused by X-Chunk-SHA256 and stays missing", arguments: combinations)
    func corruptedChunk(engine: DatabaseEngine, kind: StoreKind) async throws {
        try await IngestHarness.with(engine, kind) { harness in
            let owner = UUID()
            let data = wavFile(size: 50_000)
            let session = try await harness.create(owner: owner, data)
            let good = sha256Hex(chunk(of: data, session: session, index: 0))
            let error = await ingestError {
                try await harness.send(session, data, index: 0, checksum: good, corrupt: true)
            }
            #expect(error == .chunkChecksumMismatch)
            #expect(error?.message.contains(good) == true)
            let progress = try await harness.service.progress(uploadID: session.id, ownerID: owner)
            #expect(progress.received.isEmpty)
            try await harness.send(session, data, index: 0, checksum: good.uppercased())
            #expect(try await harness.service.progress(uploadID: session.id, ownerID: owner).received == [0])
        }
    }

    @Test("a wrong whole-file SHA-256 gives 422, keeps the chunks, and completes once fixed", arguments: combinations)
    func wrongWholeFileDigest(engine: DatabaseEngine, kind: StoreKind) async throws {
        try await IngestHarness.with(engine, kind) { harness in
            let owner = UUID()
            let data = wavFile(size: IngestHarness.fileSize(kind), seed: 3)
            let session = try await harness.create(owner: owner, data)
            try await harness.sendAll(session, data)
            let bad = session.totalChunks - 1
            try await harness.send(session, data, index: bad, corrupt: true)
            let error = await ingestError {
                _ = try await harness.service.complete(uploadID: session.id, ownerID: owner)
            }
            #expect(error == .checksumMismatch)
            #expect(error?.message.contains(sha256Hex(data)) == true)
            let left = try await harness.leftovers(owner: owner)
            #expect(left.objects.isEmpty)
            #expect(left.multipart.isEmpty)
            let progress = try await harness.service.progress(uploadID: session.id, ownerID: owner)
            #expect(progress.session.status == .receiving)
            #expect(progress.missing.isEmpty)
            try await harness.send(session, data, index: bad)
            let completion = try await harness.service.complete(uploadID: session.id, ownerID: owner)
            #expect(completion.track.sha256 == sha256Hex(data))
            #expect(try await harness.storedDigest(completion.track.storageKey).0 == sha256Hex(data))
        }
    }

    @Test("limits: 413 at create, and chunk bodies of the wrong length", arguments: combinations)
    func limits(engine: DatabaseEngine, kind: StoreKind) async throws {
        try await IngestHarness.with(engine, kind, maxUploadBytes: 1024 * 1024) { harness in
            let owner = UUID()
            let tooBig = await ingestError {
                _ = try await harness.service.create(ownerID: owner, .init(filename: "a.wav", size: 1024 * 1024 + 1))
            }
            #expect(tooBig == .tooLarge)
            #expect(tooBig?.message.contains("1 MiB") == true)
            let data = wavFile(size: 40_000)
            let session = try await harness.create(owner: owner, data)
            let expected = session.expectedLength(ofChunk: 0)
            let longer = await ingestError {
                try await harness.service.putChunk(
                    uploadID: session.id,
                    ownerID: owner,
                    index: 0,
                    body: byteStream(randomBytes(Int(expected) + 100)),
                    checksum: nil
                )
            }
            #expect(longer == .chunkTooLarge)
            let shorter = await ingestError {
                try await harness.service.putChunk(
                    uploadID: session.id,
                    ownerID: owner,
                    index: 0,
                    body: byteStream(randomBytes(Int(expected) - 1)),
                    checksum: nil
                )
            }
            #expect(shorter == .chunkLengthMismatch)
            #expect(shorter?.message.contains("\(expected)") == true)
            let outOfRange = await ingestError {
                try await harness.service.putChunk(
                    uploadID: session.id,
                    ownerID: owner,
                    index: session.totalChunks,
                    body: byteStream([1]),
                    checksum: nil
                )
            }
            #expect(outOfRange == .invalidArgument)
            // Nothing half-written stays in the spool.
            let folder = ChunkSpool(directory: harness.configuration.spoolDirectory).folder(for: session.id)
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).isEmpty)
            for bad in [
                UploadService.NewUpload(filename: "", size: 10), .init(filename: "a.wav", size: 0),
                .init(filename: "a.wav", size: 10, sha256: "xyz"),
                .init(filename: "a.wav", size: 10, visibility: "secret"),
            ] {
                #expect(
                    await ingestError { _ = try await harness.service.create(ownerID: owner, bad) } == .invalidArgument
                )
            }
        }
    }

    @Test("a non-audio file is refused with 415 and nothing is stored", arguments: combinations)
    func nonAudio(engine: DatabaseEngine, kind: StoreKind) async throws {
        try await IngestHarness.with(engine, kind) { harness in
            let owner = UUID()
            let data = Array("%PDF-1.7\n".utf8) + randomBytes(IngestHarness.fileSize(kind) - 9)
            let session = try await harness.create(owner: owner, data, filename: "paper.mp3")
            try await harness.sendAll(session, data)
            let error = await ingestError {
                _ = try await harness.service.complete(uploadID: session.id, ownerID: owner)
            }
            #expect(error == .unsupportedMediaType)
            let left = try await harness.leftovers(owner: owner)
            #expect(left.objects.isEmpty && left.multipart.isEmpty)
            #expect(try await harness.count("SELECT COUNT(*) AS n FROM tracks") == 0)
            #expect(
                try await harness.service.progress(uploadID: session.id, ownerID: owner).session.status == .receiving
            )
        }
    }

    @Test("double and concurrent complete make exactly one track", arguments: combinations)
    func concurrentComplete(engine: DatabaseEngine, kind: StoreKind) async throws {
        try await IngestHarness.with(engine, kind) { harness in
            let owner = UUID()
            let data = wavFile(size: IngestHarness.fileSize(kind), seed: 5)
            let session = try await harness.create(owner: owner, data)
            try await harness.sendAll(session, data)
            let outcomes = await withTaskGroup(of: Result<UploadService.Completion, any Error>.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        do {
                            return .success(try await harness.service.complete(uploadID: session.id, ownerID: owner))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            var created: [Track] = []
            for outcome in outcomes {
                switch outcome {
                case .success(let completion) where completion.created: created.append(completion.track)
                case .success: break
                case .failure(let error): #expect((error as? IngestError) == .assemblyInProgress, "\(error)")
                }
            }
            #expect(created.count == 1)
            #expect(outcomes.count == 3)
            let again = try await harness.service.complete(uploadID: session.id, ownerID: owner)
            #expect(!again.created)
            #expect(again.track.id == created.first?.id)
            #expect(try await harness.count("SELECT COUNT(*) AS n FROM tracks") == 1)
            #expect(try await harness.count("SELECT COUNT(*) AS n FROM jobs") == 1)
            #expect(try await harness.leftovers(owner: owner).objects.count == 1)
        }
    }

    @Test("abort frees chunks, object and multipart upload", arguments: combinations)
    func abort(engine: DatabaseEngine, kind: StoreKind) async throws {
        try await IngestHarness.with(engine, kind) { harness in
            let owner = UUID()
            let data = wavFile(size: IngestHarness.fileSize(kind))
            let session = try await harness.create(owner: owner, data)
            try await harness.send(session, data, index: 0)
            try await harness.send(session, data, index: 2)
            #expect(harness.spoolExists(session.id))
            // Someone else's abort is "not found".
            #expect(
                await ingestError { try await harness.service.abort(uploadID: session.id, ownerID: UUID()) }
                    == .notFound
            )
            try await harness.service.abort(uploadID: session.id, ownerID: owner)
            try await harness.service.abort(uploadID: session.id, ownerID: owner)
            #expect(!harness.spoolExists(session.id))
            #expect(try await harness.count("SELECT COUNT(*) AS n FROM upload_chunks") == 0)
            let left = try await harness.leftovers(owner: owner)
            #expect(left.objects.isEmpty && left.multipart.isEmpty)
            #expect(try await harness.service.progress(uploadID: session.id, ownerID: owner).session.status == .aborted)
            #expect(await ingestError { try await harness.send(session, data, index: 1) } == .gone)
            #expect(
                await ingestError { _ = try await harness.service.complete(uploadID: session.id, ownerID: owner) }
                    == .gone
            )
        }
    }

    @Test("missing chunks and other owners", arguments: DatabaseEngine.allCases)
    func missingAndOwnership(engine: DatabaseEngine) async throws {
        try await IngestHarness.with(engine, .local) { harness in
            let owner = UUID()
            let data = wavFile(size: 60_000)
            let session = try await harness.create(owner: owner, data)
            try await harness.send(session, data, index: 1)
            let error = await ingestError {
                _ = try await harness.service.complete(uploadID: session.id, ownerID: owner)
            }
            #expect(error == .missingChunks)
            #expect(error?.message.contains("0, 2, 3") == true)
            #expect(
                await ingestError { _ = try await harness.service.progress(uploadID: session.id, ownerID: UUID()) }
                    == .notFound
            )
            let stranger = await ingestError {
                try await harness.service.putChunk(
                    uploadID: session.id,
                    ownerID: UUID(),
                    index: 0,
                    body: byteStream([1, 2, 3]),
                    checksum: nil
                )
            }
            #expect(stranger == .notFound)
        }
    }

    @Test("every audio fixture is stored byte for byte", arguments: DatabaseEngine.allCases)
    func fixtures(engine: DatabaseEngine) async throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../fixtures/audio"
        )
        .standardizedFileURL
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { ["mp3", "flac", "wav", "ogg", "m4a"].contains(($0 as NSString).pathExtension) }.sorted()
        #expect(files.count >= 5)
        try await IngestHarness.with(engine, .local) { harness in
            for file in files {
                let data = Array(try Data(contentsOf: directory.appendingPathComponent(file)))
                let owner = UUID()
                let session = try await harness.create(owner: owner, data, filename: file)
                try await harness.sendAll(session, data)
                let track = try await harness.service.complete(uploadID: session.id, ownerID: owner).track
                #expect(track.sha256 == sha256Hex(data), "\(file)")
                #expect(try await harness.storedDigest(track.storageKey).0 == sha256Hex(data), "\(file)")
                #expect(track.storageKey.hasSuffix("." + (file as NSString).pathExtension))
            }
        }
    }
}
