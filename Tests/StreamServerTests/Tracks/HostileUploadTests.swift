import Catalog
import Database
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Retry
import Storage
import TestSupport
import Testing
import Transcode

@testable import StreamServer

/// The hostile corpus through the real upload routes and the real transcode worker, on both
/// databases and both stores: each file is refused at `complete` (415) or ends as a `failed` track
/// with a readable reason; a loopback listener named in the files is never contacted; nothing of
/// another user's file reaches any output.
@Suite("Hostile uploads")
struct HostileUploadTests {
    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("fixtures/audio")
    }

    enum Outcome: Equatable {
        case refused
        case track(UUID)
    }

    /// Creates an upload, sends its chunks and completes it through the HTTP routes.
    static func upload(
        _ sample: HostileCorpus.Sample,
        client: any TestClientProtocol,
        bearer: String
    ) async throws -> Outcome {
        var headers: HTTPFields = [.authorization: bearer, .contentType: "application/json"]
        let create = try JSONSerialization.data(withJSONObject: ["filename": sample.name, "size": sample.bytes.count])
        var id = ""
        var chunkSize = 0
        var total = 0
        try await client.execute(
            uri: "/api/v1/uploads",
            method: .post,
            headers: headers,
            body: ByteBuffer(bytes: create)
        ) {
            response in
            #expect(response.status == .created, "\(sample)")
            let object = response.body.jsonObject ?? [:]
            id = object["id"] as? String ?? ""
            chunkSize = object["chunk_size"] as? Int ?? 0
            total = object["total_chunks"] as? Int ?? 0
        }
        headers[.contentType] = "application/octet-stream"
        for index in 0..<total {
            let chunk = sample.bytes[(index * chunkSize)..<min(sample.bytes.count, (index + 1) * chunkSize)]
            try await client.execute(
                uri: "/api/v1/uploads/\(id)/chunks/\(index)",
                method: .put,
                headers: headers,
                body: ByteBuffer(bytes: chunk)
            ) { #expect($0.status == .ok, "\(sample) chunk \(index)") }
        }
        var outcome = Outcome.refused
        try await client.execute(
            uri: "/api/v1/uploads/\(id)/complete",
            method: .post,
            headers: [.authorization: bearer]
        ) {
            response in
            if response.status == .unsupportedMediaType {
                #expect(response.body.apiError?.code == "unsupported_media_type", "\(sample)")
                #expect(response.body.apiError?.message.isEmpty == false, "\(sample)")
                return
            }
            #expect(response.status == .created, "\(sample): \(response.status)")
            let track = response.body.jsonObject?["track"] as? [String: Any]
            if let trackID = (track?["id"] as? String).flatMap(UUID.init(uuidString:)) { outcome = .track(trackID) }
        }
        return outcome
    }

    @Test("refused at complete or failed with a reason; no connection, no leak", arguments: StoreBackends.all)
    func corpus(backends: StoreBackends) async throws {
        let listener = try LoopbackListener()
        defer { listener.stop() }
        try await TestApp.with(backends.database, store: backends.store) { components, client in
            // Another user's private file, where a relative path in a playlist would find it.
            let victimOwner = UUID()
            let wav = try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent("tone-440-stereo.wav")))
            let victim = try await storeTrack(
                components,
                bytes: wav,
                visibility: .private,
                owner: victimOwner,
                stream: .none
            )
            let neighbour =
                "../\(victimOwner.uuidString.lowercased())/\((victim.storageKey as NSString).lastPathComponent)"
            let flac = try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent("music.flac")))
            let samples = HostileCorpus.samples(listenerPort: listener.port, neighbour: neighbour, flac: flac)

            let attacker = Identity(userID: UUID(), role: .user)
            let bearer = "Bearer \(try await TestApp.token(for: attacker))"
            var tracks: [(HostileCorpus.Sample, UUID)] = []
            for sample in samples {
                if case .track(let id) = try await Self.upload(sample, client: client, bearer: bearer) {
                    tracks.append((sample, id))
                }
            }
            // Playlists, scripts and a bare sync word never pass the sniffer.
            let accepted = Set(tracks.map(\.0.name))
            for name in ["id3-hls-http.mp3", "id3-hls-relative.mp3", "id3-ffconcat.mp3", "bare.m3u8"] {
                #expect(!accepted.contains(name), "\(name) was accepted at complete")
            }

            // The real transcode handler, with fast retries so S3's retryable failures end quickly.
            let queue = JobQueue(
                database: components.database,
                backoff: Backoff(base: .seconds(0.05), cap: .seconds(0.2))
            )
            let worker = JobWorker(
                queue: queue,
                handler: components.transcodeHandler,
                pollInterval: .milliseconds(20),
                logger: TestDatabase.logger
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await worker.run() }
                let deadline = ContinuousClock.now + .seconds(120)
                while ContinuousClock.now < deadline {
                    var waiting = false
                    for (_, id) in tracks where try await components.tracks.find(id: id)?.status == .processing {
                        waiting = true
                    }
                    if !waiting { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                group.cancelAll()
            }
            for (sample, id) in tracks {
                let track = try #require(try await components.tracks.find(id: id))
                #expect(track.status == .failed, "\(sample)")
                #expect(track.failureReason?.isEmpty == false, "\(sample)")
                #expect(track.hlsPrefix == nil && track.streamKey == nil, "\(sample)")
            }
            if let long = tracks.first(where: { $0.0.name == "claims-4gib.wav" }) {
                let reason = try await components.tracks.find(id: long.1)?.failureReason ?? ""
                #expect(reason.contains("truncated"), "\(reason)")
            }
            // No output exists at all: not the attacker's, and nothing decoded from the victim.
            // (The S3 bucket is shared by the whole run: look under these tracks' own prefixes.)
            for id in tracks.map(\.1) + [victim.id] {
                #expect(try await components.store.list(prefix: "hls/\(id.uuidString.lowercased())/").collect().isEmpty)
            }
            #expect(listener.connections == 0)
        }
    }
}
