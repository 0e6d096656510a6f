import Catalog
import Database
import Foundation
import HummingbirdTesting
import Logging
import TestSupport
import Testing
import Transcode

@testable import StreamServer

/// FFmpeg as a real HLS client, reading the playlists from the running server: through
/// presigned segment URLs on S3, through the app's segment route on local disk.
@Suite("HLS delivery")
struct HLSDeliveryTests {
    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("fixtures/audio")
    }

    @Test("ffmpeg plays every rendition from master.m3u8", arguments: StoreBackend.allCases)
    func ffmpegPlays(store: StoreBackend) async throws {
        try await TestApp.with(.sqlite, store: store, live: true) { components, client in
            try await components.migrate()
            let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("music.mp3"))
            var track = try await storeTrack(components, bytes: Array(data), ext: "mp3", status: .processing)
            try await components.jobs.enqueue(queue: "transcode", payload: TranscodeJobPayload(trackID: track.id))
            let job = try #require(try await components.jobs.claim(queue: "transcode", workerID: "test"))
            try await components.transcodeHandler.handle(job, logger: TestDatabase.logger)
            track = try #require(try await components.tracks.find(id: track.id))
            #expect(track.status == .ready)

            let port = try #require(client.port)
            let master = "http://127.0.0.1:\(port)/api/v1/tracks/\(track.id.uuidString.lowercased())/hls/master.m3u8"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
            process.arguments = ["-nostdin", "-v", "error", "-i", master, "-map", "0:a", "-f", "null", "-"]
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let deadline = ContinuousClock.now + .seconds(60)
            while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(!process.isRunning)
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0, "\(stderr)")
            #expect(stderr.isEmpty, "\(stderr)")

            // The media playlists point where they should: the store (S3) or the app (local).
            try await client.execute(
                uri: "/api/v1/tracks/\(track.id.uuidString.lowercased())/hls/aac_128k/index.m3u8",
                method: .get
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/vnd.apple.mpegurl")
                let text = String(buffer: response.body)
                #expect(text.contains("#EXT-X-ENDLIST"))
                if store == .s3 {
                    #expect(text.contains("X-Amz-Signature="))
                    #expect(text.contains("#EXT-X-MAP:URI=\"http"))
                } else {
                    #expect(!text.contains("X-Amz-"))
                    #expect(text.contains("#EXT-X-MAP:URI=\"init.mp4\""))
                }
            }
            try await client.execute(uri: "/api/v1/tracks/\(track.id.uuidString.lowercased())", method: .get) {
                response in
                #expect(response.status == .ok)
                let body = try #require(response.body.jsonObject)
                #expect(
                    (body["hls"] as? [String: Any])?["master"] as? String
                        == "/api/v1/tracks/\(track.id.uuidString.lowercased())/hls/master.m3u8"
                )
                #expect((body["duration_ms"] as? Int ?? 0) > 0)
            }
            try await client.execute(
                uri: "/api/v1/tracks/\(track.id.uuidString.lowercased())/waveform.json",
                method: .get
            ) { response in
                #expect(response.status == .ok)
                #expect(response.body.jsonObject?["samples_per_pixel"] != nil)
            }
        }
    }
}
