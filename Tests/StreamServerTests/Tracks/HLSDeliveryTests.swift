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
            let job = try #require(try await components.jobs.claim(queue: "transcode", workerID: "test")?.job)
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
            // Playlists are gzipped when the player accepts it.
            try await client.execute(
                uri: "/api/v1/tracks/\(track.id.uuidString.lowercased())/hls/master.m3u8",
                method: .get,
                headers: [.acceptEncoding: "gzip, deflate"]
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentEncoding] == "gzip")
                #expect(Array(response.body.readableBytesView.prefix(2)) == [0x1f, 0x8b])
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

@Suite("Gzip")
struct GzipTests {
    @Test func roundTripsThroughGunzip() throws {
        let text = String(repeating: "#EXTINF:6.000000,\nseg_00001.m4s?X-Amz-Signature=abc\n", count: 200)
        let compressed = try #require(Gzip.compress(Array(text.utf8)))
        #expect(compressed.count < text.utf8.count / 4)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("veza-\(UUID().uuidString).gz")
        try Data(compressed).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gunzip.arguments = ["-dc", file.path]
        let output = Pipe()
        gunzip.standardOutput = output
        try gunzip.run()
        let decoded = output.fileHandleForReading.readDataToEndOfFile()
        gunzip.waitUntilExit()
        #expect(String(decoding: decoded, as: UTF8.self) == text)
    }

    @Test func acceptEncoding() {
        #expect(Gzip.isAccepted("gzip"))
        #expect(Gzip.isAccepted("br;q=1, gzip;q=0.8"))
        #expect(Gzip.isAccepted("*"))
        #expect(!Gzip.isAccepted("gzip;q=0"))
        #expect(!Gzip.isAccepted("br, deflate"))
        #expect(!Gzip.isAccepted(nil))
    }
}
