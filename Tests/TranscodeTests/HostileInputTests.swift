import Foundation
import TestSupport
import Testing

@testable import Transcode

/// Sources an attacker uploads, given straight to the transcoder (as if ingest's sniffer had been
/// fooled): none may make FFmpeg fetch a URL or read another file, and each fails with a reason.
@Suite("Hostile inputs")
struct HostileInputTests {
    @Test func hostileCorpusFailsWithoutTouchingAnythingElse() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let listener = try LoopbackListener()
        defer { listener.stop() }
        // Another user's file, next to the attacker's.
        let victims = directory.url.appendingPathComponent("victim")
        let attacker = directory.url.appendingPathComponent("attacker")
        for folder in [victims, attacker] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(
            atPath: Fixtures.path("tone-440-stereo.wav"),
            toPath: victims.appendingPathComponent("secret.wav").path
        )
        let flac = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.path("music.flac"))))
        let samples = HostileCorpus.samples(listenerPort: listener.port, neighbour: "../victim/secret.wav", flac: flac)
        let notAudio: Set<String> = [
            "id3-hls-http.mp3", "id3-hls-relative.mp3", "id3-ffconcat.mp3", "bare.m3u8", "sync-word.mp3",
        ]
        for sample in samples {
            let path = attacker.appendingPathComponent(sample.name).path
            try Data(sample.bytes).write(to: URL(fileURLWithPath: path))
            let output = directory.url.appendingPathComponent("out-\(sample.name)")
            let error = await #expect(throws: TranscodeError.self, "\(sample)") {
                _ = try await HLSTranscoder(ladderKbps: [64], logger: testLogger)
                    .transcode(input: path, output: DirectorySink(root: output))
            }
            #expect(error?.reason.isEmpty == false, "\(sample)")
            if notAudio.contains(sample.name) {
                #expect(error == .notAudio, "\(sample): \(error?.reason ?? "")")
                await #expect(throws: TranscodeError.notAudio, "\(sample)") { _ = try await Probe.probe(path) }
            }
            // Nothing was packaged: no segment, no stream.m4a of anybody's audio.
            let written = (try? FileManager.default.subpathsOfDirectory(atPath: output.path)) ?? []
            #expect(!written.contains { $0.hasSuffix(".m4s") || $0.hasSuffix(".m4a") }, "\(sample): \(written)")
        }
        let claims = try #require(samples.first { $0.name == "claims-4gib.wav" })
        let longPath = attacker.appendingPathComponent(claims.name).path
        let lie = await #expect(throws: TranscodeError.truncated) {
            _ = try await HLSTranscoder(ladderKbps: [64], logger: testLogger)
                .transcode(input: longPath, output: DirectorySink(root: directory.url.appendingPathComponent("long")))
        }
        #expect(lie?.reason.contains("4.0 GiB") == true, "\(lie?.reason ?? "")")
        #expect(listener.connections == 0)
    }

    @Test func pathsAreFilesAndURLsAreHTTPOnly() {
        #expect(FormatInput.protocolWhitelist(for: "/data/objects/tracks/a/b.mp3") == "file")
        #expect(FormatInput.protocolWhitelist(for: "concat:/etc/passwd|/x") == "file")
        #expect(FormatInput.protocolWhitelist(for: "https://s3.example/b/k?X-Amz-Signature=1") == "http,https,tcp,tls")
        // A path that looks like a nesting protocol is only ever a (missing) file name.
        #expect(throws: AVError.self) {
            _ = try FormatInput(url: "subfile,,start,0,end,0,,:" + Fixtures.path("music.wav"))
        }
    }

    @Test func decodedDurationAndWallClockAreBounded() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var short = HLSTranscoder(ladderKbps: [64], logger: testLogger)
        short.maxTrackSeconds = 2
        short.timeLimitSeconds = 600
        let tooLong = await #expect(throws: TranscodeError.tooLong) {
            _ = try await short.transcode(
                input: Fixtures.path("music.flac"),
                output: DirectorySink(root: directory.url)
            )
        }
        #expect(tooLong?.reason.contains("2 s") == true)
        var hurried = HLSTranscoder(ladderKbps: [64], logger: testLogger)
        hurried.timeLimitSeconds = 0.001
        let timedOut = await #expect(throws: TranscodeError.timedOut) {
            _ = try await hurried.transcode(
                input: Fixtures.path("music.flac"),
                output: DirectorySink(root: directory.url)
            )
        }
        #expect(timedOut?.reason.contains("stopped") == true)
        #expect(TranscodeError.tooLong(limitSeconds: 4 * 3600).reason.contains("4 h"))
    }
}

/// `stream.m4a`: the 128 kb/s rung's packets, muxed again as a progressive MP4 with its index first.
@Suite("Progressive stream")
struct ProgressiveStreamTests {
    /// The payload of every packet, in order.
    static func packets(_ path: String) throws -> [[UInt8]] {
        let input = try FormatInput(url: path)
        let packet = try Packet()
        var payloads: [[UInt8]] = []
        while try input.read(into: packet) {
            defer { packet.unref() }
            payloads.append(Array(UnsafeBufferPointer(start: packet.pointer.pointee.data, count: packet.size)))
        }
        return payloads
    }

    /// Top-level MP4 box types in file order.
    static func boxes(_ data: Data) -> [String] {
        var types: [String] = []
        var offset = 0
        let bytes = [UInt8](data)
        while offset + 8 <= bytes.count {
            let size = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            types.append(String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self))
            guard size >= 8 else { break }
            offset += size
        }
        return types
    }

    @Test func streamIsThe128kPacketsMoovFirst() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let output = directory.url.appendingPathComponent("hls")
        let result = try await HLSTranscoder(ladderKbps: [64, 128, 256], segmentSeconds: 2, logger: testLogger)
            .transcode(input: Fixtures.path("music.flac"), output: DirectorySink(root: output))
        #expect(result.streamPath == "stream.m4a")
        let stream = output.appendingPathComponent("stream.m4a")
        let boxes = Self.boxes(try Data(contentsOf: stream))
        let moov = try #require(boxes.firstIndex(of: "moov"))
        let mdat = try #require(boxes.firstIndex(of: "mdat"))
        #expect(boxes.first == "ftyp")
        #expect(moov < mdat, "\(boxes)")
        #expect(!boxes.contains("moof"))
        // The HLS rendition as one fragmented file: init + segments.
        var joined = try Data(contentsOf: output.appendingPathComponent("aac_128k/init.mp4"))
        let rendition = try #require(result.renditions.first { $0.name == "aac_128k" })
        for index in 1...rendition.segmentCount {
            joined.append(
                try Data(contentsOf: output.appendingPathComponent(String(format: "aac_128k/seg_%05d.m4s", index)))
            )
        }
        let fragmented = directory.url.appendingPathComponent("joined.mp4")
        try joined.write(to: fragmented)
        let progressive = try Self.packets(stream.path)
        let hls = try Self.packets(fragmented.path)
        #expect(progressive.count > 100)
        #expect(progressive.count == hls.count)
        #expect(progressive == hls, "stream.m4a must carry the HLS rung's packets, not a second encode")
        let probe = try await Probe.probe(stream.path)
        #expect(abs((probe.durationSeconds ?? 0) - result.durationSeconds) < 0.05)
    }

    @Test func theRungNearest128IsUsed() {
        #expect(EncodePass.progressiveBitRate(of: [64, 128, 256]) == 128)
        #expect(EncodePass.progressiveBitRate(of: [64, 96, 192]) == 96)
        #expect(EncodePass.progressiveBitRate(of: [96, 160]) == 160)
        #expect(EncodePass.progressiveBitRate(of: [320]) == 320)
        #expect(EncodePass.progressiveBitRate(of: []) == nil)
    }
}
