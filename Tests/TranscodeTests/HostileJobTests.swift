import Catalog
import Database
import Foundation
import Storage
import TestSupport
import Testing

@testable import Transcode

/// The FFmpeg-level defences on their own: hostile sources stored as if ingest's sniffer had been
/// fooled, run by the real job handler on both stores (a local path, or a presigned S3 URL).
@Suite("Hostile transcode jobs")
struct HostileJobTests {
    @Test("hostile sources fail in the worker with a reason, fetching nothing", arguments: TranscodeJobTests.backends)
    func hostileSources(backends: TranscodeJobTests.Backends) async throws {
        let listener = try LoopbackListener()
        defer { listener.stop() }
        try await TestStore.with(backends.store) { store in
            try await TestDatabase.with(backends.database, migrations: TranscodeJobTests.migrations) { database in
                let (tracks, queue, handler) = TranscodeJobTests.worker(database: database, store: store)
                let victim = try await TranscodeJobTests.storedTrack(
                    "tone-440-stereo.wav",
                    store: store,
                    tracks: tracks
                )
                let neighbour =
                    "../\(victim.ownerID.uuidString.lowercased())/\((victim.storageKey as NSString).lastPathComponent)"
                let flac = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.path("music.flac"))))
                var hostile: [Track] = []
                for sample in HostileCorpus.samples(listenerPort: listener.port, neighbour: neighbour, flac: flac) {
                    let owner = UUID()
                    let id = UUID()
                    let key = Track.sourceKey(ownerID: owner, trackID: id, fileExtension: sample.fileExtension)
                    _ = try await store.put(key: key, body: .bytes(sample.bytes))
                    let track = Track(
                        id: id,
                        ownerID: owner,
                        title: sample.name,
                        visibility: .public,
                        status: .processing,
                        storageBackend: store is S3Store ? .s3 : .local,
                        storageKey: key,
                        sizeBytes: Int64(sample.bytes.count),
                        sha256: "",
                        contentType: "audio/mpeg"
                    )
                    try await tracks.insert(track)
                    try await queue.enqueue(
                        queue: handler.queue,
                        payload: TranscodeJobPayload(trackID: id),
                        maxAttempts: 2
                    )
                    hostile.append(track)
                }
                let submitted = hostile
                try await TranscodeJobTests.runWorker(queue: queue, handler: handler) {
                    let statuses = try await submitted.asyncMap { try await tracks.find(id: $0.id)?.status }
                    return !statuses.contains(.processing)
                }
                for track in hostile {
                    let failed = try #require(try await tracks.find(id: track.id))
                    #expect(failed.status == .failed, "\(track.title)")
                    #expect(failed.failureReason?.isEmpty == false, "\(track.title)")
                    #expect(try await store.list(prefix: "hls/\(track.id.uuidString.lowercased())/").collect().isEmpty)
                }
                #expect(listener.connections == 0)
            }
        }
    }
}
