import Catalog
import Database
import Foundation
import Logging
import NIOCore
import Retry
import Storage
import TestSupport
import Testing

@testable import Transcode

/// The transcode job end to end: a stored source, a queued job, a worker, a ready track.
@Suite("Transcode jobs")
struct TranscodeJobTests {
    static let migrations = CoreMigrations.all + CatalogMigrations.all

    struct Backends: CustomTestStringConvertible, Sendable {
        let database: DatabaseEngine
        let store: StoreBackend
        var testDescription: String { "\(self.database)+\(self.store)" }
    }

    static let backends = DatabaseEngine.allCases.flatMap { db in
        StoreBackend.allCases.map { Backends(database: db, store: $0) }
    }

    /// The parts a worker test drives: the tracks, a queue retrying quickly, and a handler with a
    /// one-rung ladder allowed two attempts.
    static func worker(
        database: DatabaseClient,
        store: any ObjectStore
    ) -> (TrackRepository, JobQueue, TranscodeJobHandler) {
        let tracks = TrackRepository(database: database)
        let queue = JobQueue(database: database, backoff: Backoff(base: .milliseconds(50), cap: .milliseconds(200)))
        let handler = TranscodeJobHandler(
            tracks: tracks,
            store: store,
            ladderKbps: [64],
            segmentSeconds: 6,
            maxAttempts: 2
        )
        return (tracks, queue, handler)
    }

    /// Stores `fixture` as a track's source and inserts the track, `processing`.
    static func storedTrack(_ fixture: String, store: any ObjectStore, tracks: TrackRepository) async throws -> Track {
        let owner = UUID()
        let id = UUID()
        let ext = (fixture as NSString).pathExtension
        let key = Track.sourceKey(ownerID: owner, trackID: id, fileExtension: ext)
        let path = Fixtures.path(fixture)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        _ = try await store.put(key: key, body: .bytes(data))
        let track = Track(
            id: id,
            ownerID: owner,
            title: fixture,
            visibility: .public,
            status: .processing,
            storageBackend: store is S3Store ? .s3 : .local,
            storageKey: key,
            sizeBytes: Int64(data.count),
            sha256: "",
            contentType: "audio/\(ext)"
        )
        try await tracks.insert(track)
        return track
    }

    static func runWorker(
        queue: JobQueue,
        handler: TranscodeJobHandler,
        until done: @escaping @Sendable () async throws -> Bool
    ) async throws {
        let worker = JobWorker(
            queue: queue,
            handler: handler,
            pollInterval: .milliseconds(20),
            logger: TestDatabase.logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await worker.run() }
            let deadline = ContinuousClock.now + .seconds(120)
            while try await !done() {
                guard ContinuousClock.now < deadline else {
                    Issue.record("jobs did not finish in time")
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            group.cancelAll()
        }
    }

    @Test("a stored source becomes a ready track with an HLS tree", arguments: Self.backends)
    func transcodes(backends: Backends) async throws {
        try await TestStore.with(backends.store) { store in
            try await TestDatabase.with(backends.database, migrations: Self.migrations) { database in
                let tracks = TrackRepository(database: database)
                let queue = JobQueue(database: database)
                let handler = TranscodeJobHandler(
                    tracks: tracks,
                    store: store,
                    ladderKbps: [64, 128],
                    segmentSeconds: 2
                )
                let track = try await Self.storedTrack("music.flac", store: store, tracks: tracks)
                try await queue.enqueue(queue: handler.queue, payload: TranscodeJobPayload(trackID: track.id))
                try await Self.runWorker(queue: queue, handler: handler) {
                    try await tracks.find(id: track.id)?.status != .processing
                }
                let ready = try #require(try await tracks.find(id: track.id))
                #expect(ready.status == .ready, "\(ready.failureReason ?? "")")
                let prefix = try #require(ready.hlsPrefix)
                #expect(prefix.hasPrefix("hls/\(track.id.uuidString.lowercased())/"))
                #expect(ready.renditionList.map(\.name).count == 2)
                #expect(
                    ready.renditionList.allSatisfy { $0.codecs == "mp4a.40.2" && $0.bandwidth >= $0.averageBandwidth }
                )
                let source = try await Probe.probe(Fixtures.path("music.flac"))
                #expect(abs(Double(ready.durationMs ?? 0) - (source.durationSeconds ?? 0) * 1000) < 50)
                #expect(ready.loudnessLUFS.map { abs($0 - -11.0) < 1 } == true)
                let keys = Set(try await store.list(prefix: prefix).collect().map(\.key))
                #expect(keys.contains(prefix + "master.m3u8"))
                #expect(keys.contains(try #require(ready.waveformKey)))
                #expect(keys.contains { $0.hasSuffix("/init.mp4") })
                #expect(keys.filter { $0.hasSuffix(".m4s") }.count >= 4)
                let master = try await store.get(key: prefix + "master.m3u8")
                #expect(master.info.contentType == "application/vnd.apple.mpegurl")
            }
        }
    }

    @Test("a corrupt source fails the track with a reason, and the worker goes on", arguments: Self.backends)
    func corruptThenGood(backends: Backends) async throws {
        try await TestStore.with(backends.store) { store in
            try await TestDatabase.with(backends.database, migrations: Self.migrations) { database in
                let (tracks, queue, handler) = Self.worker(database: database, store: store)
                let corrupt = try await Self.storedTrack("corrupt/noise.mp3", store: store, tracks: tracks)
                let good = try await Self.storedTrack("tone-440-stereo.mp3", store: store, tracks: tracks)
                for track in [corrupt, good] {
                    try await queue.enqueue(
                        queue: handler.queue,
                        payload: TranscodeJobPayload(trackID: track.id),
                        maxAttempts: 2
                    )
                }
                try await Self.runWorker(queue: queue, handler: handler) {
                    let statuses = try await [corrupt, good].asyncMap { try await tracks.find(id: $0.id)?.status }
                    return !statuses.contains(.processing)
                }
                let failed = try #require(try await tracks.find(id: corrupt.id))
                #expect(failed.status == .failed)
                #expect(failed.failureReason?.isEmpty == false)
                #expect(try await store.list(prefix: "hls/\(corrupt.id.uuidString.lowercased())/").collect().isEmpty)
                #expect(try await tracks.find(id: good.id)?.status == .ready)
            }
        }
    }

    @Test(
        "a re-transcode keeps the track ready on its old tree, switches, and survives a failure",
        arguments: Self.backends
    )
    func retranscode(backends: Backends) async throws {
        try await TestStore.with(backends.store) { store in
            try await TestDatabase.with(backends.database, migrations: Self.migrations) { database in
                let (tracks, queue, handler) = Self.worker(database: database, store: store)
                let track = try await Self.storedTrack("tone-440-stereo.flac", store: store, tracks: tracks)
                try await queue.enqueue(queue: handler.queue, payload: TranscodeJobPayload(trackID: track.id))
                try await Self.runWorker(queue: queue, handler: handler) {
                    try await tracks.find(id: track.id)?.status == .ready
                }
                let firstTrack = try #require(try await tracks.find(id: track.id))
                let first = try #require(firstTrack.hlsPrefix)
                #expect(firstTrack.streamKey == first + "stream.m4a")
                #expect(try await store.head(key: first + "stream.m4a") != nil)

                // Requested: the track stays ready on its current tree.
                #expect(try await tracks.apply(.transcodeRequested, to: track.id).status == .ready)
                try await queue.enqueue(queue: handler.queue, payload: TranscodeJobPayload(trackID: track.id))
                let observations = Observations()
                try await Self.runWorker(queue: queue, handler: handler) {
                    // Head first, row second: a row still naming the old tree after its master
                    // vanished would mean the tree was deleted before the switch.
                    let masterExists = try await store.head(key: first + "master.m3u8") != nil
                    let row = try #require(try await tracks.find(id: track.id))
                    observations.record(
                        status: row.status,
                        stillOld: row.hlsPrefix == first,
                        masterExists: masterExists
                    )
                    let oldTreeGone = try await store.list(prefix: first).collect().isEmpty
                    return row.hlsPrefix != first && oldTreeGone
                }
                #expect(observations.statuses == [.ready])
                #expect(!observations.oldRowWithoutTree)
                let second = try #require(try await tracks.find(id: track.id))
                let secondPrefix = try #require(second.hlsPrefix)
                #expect(first != secondPrefix)
                #expect(second.streamKey == secondPrefix + "stream.m4a")
                #expect(try await store.list(prefix: first).collect().isEmpty)
                #expect(try await store.head(key: secondPrefix + "master.m3u8") != nil)

                // The source is replaced by something that is not audio: the re-transcode fails,
                // the track keeps playing its tree and records why.
                _ = try await store.put(key: track.storageKey, body: .bytes(Data("#EXTM3U\nnot audio\n".utf8)))
                #expect(try await tracks.apply(.transcodeRequested, to: track.id).status == .ready)
                let failing = try await queue.enqueue(
                    queue: handler.queue,
                    payload: TranscodeJobPayload(trackID: track.id)
                )
                try await Self.runWorker(queue: queue, handler: handler) {
                    try await tracks.find(id: track.id)?.lastTranscodeError != nil
                }
                let kept = try #require(try await tracks.find(id: track.id))
                #expect(kept.status == .ready)
                #expect(kept.hlsPrefix == secondPrefix)
                #expect(kept.failureReason == nil)
                #expect(
                    kept.lastTranscodeError?.contains("not a recognised audio file") == true,
                    "\(kept.lastTranscodeError ?? "")"
                )
                #expect(try await store.head(key: secondPrefix + "master.m3u8") != nil)
                #expect(try await store.head(key: secondPrefix + "stream.m4a") != nil)
                let failedPrefix = TranscodeJobHandler.prefix(track: track.id, job: failing)
                #expect(try await store.list(prefix: failedPrefix).collect().isEmpty)
            }
        }
    }
}

/// What a poller saw while a re-transcode ran.
final class Observations: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: Set<TrackStatus> = []
    private var violated = false

    func record(status: TrackStatus, stillOld: Bool, masterExists: Bool) {
        self.lock.withLock {
            self.seen.insert(status)
            if stillOld && !masterExists { self.violated = true }
        }
    }

    var statuses: Set<TrackStatus> { self.lock.withLock { self.seen } }
    var oldRowWithoutTree: Bool { self.lock.withLock { self.violated } }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
