import Foundation
import Testing

@testable import Transcode

@Suite("Pipeline")
struct PipelineTests {
    /// 5 s of a 44.1 kHz stereo tone with noise in 2 s segments: three segments, cut at
    /// the same instants in every rendition, the last one short but not a padding-only sliver.
    @Test func segmentsAlignAcrossRenditions() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try makeSource(
            "aevalsrc=0.3*sin(2*PI*440*t)+0.05*random(0)|0.3*sin(2*PI*660*t):s=44100:d=5",
            in: directory.url,
            name: "long.wav"
        )
        let output = directory.url.appendingPathComponent("hls")
        let result = try await HLSTranscoder(segmentSeconds: 2, logger: testLogger)
            .transcode(input: source, output: DirectorySink(root: output))
        #expect(abs(result.durationSeconds - 5) < 1e-9)
        var durations: [[Double]] = []
        for rendition in result.renditions {
            #expect(rendition.segmentCount == 3)
            let media = MediaPlaylist(
                try String(contentsOf: output.appendingPathComponent(rendition.playlistPath), encoding: .utf8)
            )
            #expect(media.targetDuration == 2)
            #expect(media.segments.map(\.uri) == ["seg_00001.m4s", "seg_00002.m4s", "seg_00003.m4s"])
            durations.append(media.segments.map(\.duration))
        }
        #expect(durations.allSatisfy { $0 == durations[0] })
        // The first packet at or after 2 s starts segment 2: 88 frames of 1024 in segment 1,
        // minus the 1024 priming samples; then 86 frames; then what is left of the 5 s.
        let rate = 44100.0
        let lastSamples: Double = 5 * rate - 173 * 1024
        let expected: [Double] = [87 * 1024 / rate, 86 * 1024 / rate, lastSamples / rate]
        #expect(zip(durations[0], expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(durations[0])")
        #expect(abs(durations[0].reduce(0, +) - 5) < 1e-5, "EXTINFs add up to the source duration")
        let peaks = result.renditions.map(\.peakBitRate)
        #expect(peaks == peaks.sorted())
        for rendition in result.renditions {
            #expect(rendition.peakBitRate >= rendition.averageBitRate)
            #expect(abs(Double(rendition.averageBitRate) / Double(rendition.nominalBitRate) - 1) < 0.15)
        }
    }

    /// Threads change the schedule, not the bytes.
    @Test func parallelAndSequentialOutputsAreIdentical() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let parallel = directory.url.appendingPathComponent("parallel")
        let sequential = directory.url.appendingPathComponent("sequential")
        var transcoder = HLSTranscoder(ladderKbps: [64, 128], logger: testLogger)
        _ = try await transcoder.transcode(input: Fixtures.path("music.flac"), output: DirectorySink(root: parallel))
        transcoder.parallelRenditions = false
        _ = try await transcoder.transcode(input: Fixtures.path("music.flac"), output: DirectorySink(root: sequential))
        let files = try FileManager.default.subpathsOfDirectory(atPath: parallel.path).sorted()
        #expect(files == (try FileManager.default.subpathsOfDirectory(atPath: sequential.path).sorted()))
        for file in files where !file.hasSuffix("k") {
            let lhs = try Data(contentsOf: parallel.appendingPathComponent(file))
            let rhs = try Data(contentsOf: sequential.appendingPathComponent(file))
            #expect(lhs == rhs, "\(file) differs")
        }
    }

    /// Files reach the sink in a usable order: init before segments, master last.
    @Test func sinkSeesInitFirstAndMasterLast() async throws {
        let sink = RecordingSink()
        _ = try await HLSTranscoder(ladderKbps: [96], logger: testLogger)
            .transcode(input: Fixtures.path("tone-440-stereo.ogg"), output: sink)
        let paths = await sink.paths
        #expect(
            paths == [
                "aac_96k/init.mp4", "aac_96k/seg_00001.m4s", "aac_96k/index.m3u8", "stream.m4a", "waveform.json",
                "master.m3u8",
            ]
        )
    }

    @Test func sinkFailureStopsTheTranscode() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try makeSource(
            "sine=frequency=300:sample_rate=48000:duration=20",
            in: directory.url,
            name: "long.flac"
        )
        let sink = RecordingSink(failAfter: 1)
        await #expect(throws: RecordingSink.Failure.self) {
            _ = try await HLSTranscoder(segmentSeconds: 1, logger: testLogger).transcode(input: source, output: sink)
        }
    }

    @Test func cancellationStopsTheTranscode() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try makeSource(
            "sine=frequency=300:sample_rate=48000:duration=120",
            in: directory.url,
            name: "long.flac"
        )
        let sink = RecordingSink()
        let task = Task {
            try await HLSTranscoder(logger: testLogger).transcode(input: source, output: sink)
        }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        // Stopped early: far fewer than the 3 × 20 segments of the whole file, and no playlists.
        let paths = await sink.paths
        #expect(paths.count < 30, "\(paths.count) files written")
        #expect(!paths.contains("master.m3u8"))
    }

    @Test func rejectsBadConfiguration() async throws {
        let sink = RecordingSink()
        for (ladder, seconds) in [([], 6), ([64, 64], 6), ([8], 6), ([64], 0)] {
            await #expect(throws: TranscodeError.invalidConfiguration) {
                _ = try await HLSTranscoder(ladderKbps: ladder, segmentSeconds: seconds, logger: testLogger)
                    .transcode(input: Fixtures.path("music.mp3"), output: sink)
            }
        }
    }

    @Test func playlistRendering() {
        let segments = [
            SegmentRecord(fileName: "seg_00001.m4s", duration: 6.013968, byteCount: 96_000),
            SegmentRecord(fileName: "seg_00002.m4s", duration: 6.49, byteCount: 100_000),
            SegmentRecord(fileName: "seg_00003.m4s", duration: 0.5, byteCount: 9_000),
        ]
        #expect(Playlists.targetDuration(segments) == 6)
        #expect(Playlists.targetDuration([SegmentRecord(fileName: "a", duration: 6.5, byteCount: 1)]) == 7)
        let bandwidth = Playlists.bandwidth(segments)
        #expect(bandwidth.peak == Int((Double(9_000 * 8) / 0.5).rounded(.up)))
        #expect(bandwidth.average == Int((Double(205_000 * 8) / 13.003968).rounded(.up)))
        let rendition = EncodedRendition(
            spec: RenditionSpec(bitRate: 128_000),
            sampleRate: 44100,
            channels: 2,
            initByteCount: 700,
            segments: segments,
            primingSamples: 1024
        )
        let media = Playlists.media(rendition)
        #expect(media.contains("#EXTINF:6.013968,\nseg_00001.m4s\n"))
        #expect(media.hasSuffix("#EXT-X-ENDLIST\n"))
    }
}

/// Records what it is given; optionally fails after `failAfter` files.
actor RecordingSink: HLSOutputSink {
    struct Failure: Error {}
    private(set) var paths: [String] = []
    private let failAfter: Int?

    init(failAfter: Int? = nil) {
        self.failAfter = failAfter
    }

    func write(relativePath: String, contents: HLSFileContents) async throws {
        if let failAfter, paths.count >= failAfter { throw Failure() }
        paths.append(relativePath)
    }
}
