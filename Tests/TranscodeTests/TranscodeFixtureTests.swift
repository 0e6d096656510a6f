import Foundation
import Testing

@testable import Transcode

/// Every playable fixture transcodes, and FFmpeg, the playlists and the loudness agree.
@Suite("Transcode fixtures")
struct TranscodeFixtureTests {
    @Test("transcodes to a valid fMP4 HLS ladder", arguments: Fixtures.playable)
    func transcodesFixture(_ name: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = Fixtures.path(name)
        let result = try await HLSTranscoder(logger: testLogger)
            .transcode(input: source, output: DirectorySink(root: directory.url))

        #expect(result.renditions.map(\.name) == ["aac_64k", "aac_128k", "aac_256k"])
        let probe = try await Probe.probe(source)
        for rendition in result.renditions {
            #expect(rendition.channels == (probe.channels == 1 ? 1 : 2), "mono stays mono")
            #expect(rendition.codecs == "mp4a.40.2")
        }
        let root = directory.url
        try checkPlaylists(root: root, result: result)
        try checkDecodes(root: root, source: source, result: result)
        try checkEditList(root: root, result: result)
        try checkWaveform(root: root, result: result)

        let reference = try Tool.ebur128Integrated(source)
        let integrated = try #require(result.loudness.integratedLUFS)
        #expect(abs(integrated - reference) <= 0.5, "integrated \(integrated) LUFS vs ebur128 \(reference)")
        let samplePeak = try #require(result.loudness.samplePeakDBFS)
        let truePeak = try #require(result.loudness.truePeakDBTP)
        #expect(truePeak >= samplePeak && samplePeak <= 0.1)
    }

    /// RFC 8216 rules and measured bandwidth.
    private func checkPlaylists(root: URL, result: TranscodeResult) throws {
        let master = MasterPlaylist(
            try String(contentsOf: root.appendingPathComponent(result.masterPath), encoding: .utf8)
        )
        #expect(master.independentSegments)
        #expect(master.version == 6)
        #expect(master.variants.count == result.renditions.count)
        var boundaries: [[Double]] = []
        for variant in master.variants {
            #expect(variant.attributes["CODECS"] == "mp4a.40.2")
            let playlistURL = root.appendingPathComponent(variant.uri)
            let media = MediaPlaylist(try String(contentsOf: playlistURL, encoding: .utf8))
            let folder = playlistURL.deletingLastPathComponent()
            #expect(media.playlistType == "VOD")
            #expect(media.hasEndList)
            #expect(media.mapURI == "init.mp4")
            #expect((media.version ?? 0) >= 6, "EXT-X-MAP needs version 6")
            let target = try #require(media.targetDuration)
            #expect(!media.segments.isEmpty)
            var peak = 0.0
            var bytes = 0
            var seconds = 0.0
            for segment in media.segments {
                #expect(Int(segment.duration.rounded()) <= target)
                #expect(segment.duration <= Double(target) + 0.5)
                let size =
                    try FileManager.default.attributesOfItem(
                        atPath: folder.appendingPathComponent(segment.uri).path
                    )[.size] as! Int
                peak = max(peak, Double(size * 8) / segment.duration)
                bytes += size
                seconds += segment.duration
            }
            let average = Double(bytes * 8) / seconds
            let bandwidth = try #require(variant.attributes["BANDWIDTH"].flatMap(Double.init))
            let averageBandwidth = try #require(variant.attributes["AVERAGE-BANDWIDTH"].flatMap(Double.init))
            #expect(abs(bandwidth - peak) <= peak * 0.1, "BANDWIDTH \(bandwidth) vs measured peak \(peak)")
            #expect(
                abs(averageBandwidth - average) <= average * 0.1,
                "AVERAGE-BANDWIDTH \(averageBandwidth) vs \(average)"
            )
            boundaries.append(media.segments.map(\.duration))
        }
        #expect(
            Set(boundaries.map { $0.map { ($0 * 1e6).rounded() } }).count == 1,
            "same segment boundaries in every rendition"
        )
    }

    /// ffprobe reads every rendition; ffmpeg decodes each without error, to within two AAC
    /// frames of the source, and within one once the priming is trimmed (timestamps < 0 dropped).
    private func checkDecodes(root: URL, source: String, result: TranscodeResult) throws {
        let master = root.appendingPathComponent(result.masterPath).path
        let probe = try Tool.run(
            "ffprobe",
            ["-v", "error", "-show_entries", "stream=index,codec_name,sample_rate", "-of", "csv=p=0", master]
        )
        #expect(probe.status == 0 && probe.stderr.isEmpty, "ffprobe: \(probe.stderr)")
        // ffprobe lists each stream under its program and again on its own: count distinct ones.
        let streams = Set(String(decoding: probe.stdout, as: UTF8.self).split(separator: "\n").map(String.init))
        #expect(streams.count == result.renditions.count && streams.allSatisfy { $0.contains(",aac,") }, "\(streams)")
        // Every rendition has the same rate, so the source is decoded (resampled) once.
        var sourceSamples: [Int: Int] = [:]
        for (index, rendition) in result.renditions.enumerated() {
            let rate = rendition.sampleRate
            let expected = try sourceSamples[rate] ?? Tool.decodedSamples(source, sampleRate: rate)
            sourceSamples[rate] = expected
            let decoded = try Tool.decodedSamples(master, map: "0:a:\(index)", sampleRate: rate)
            #expect(abs(decoded - expected) <= 2048, "\(rendition.name): \(decoded) samples vs source \(expected)")
            let trimmed = try Tool.decodedSamples(
                master,
                map: "0:a:\(index)",
                sampleRate: rate,
                copyTimestamps: true,
                filter: "atrim=start=0"
            )
            #expect(abs(trimmed - expected) <= 1024, "\(rendition.name) trimmed: \(trimmed) vs \(expected)")
        }
    }

    /// The init segment's edit list hides the encoder's 1024 priming samples.
    private func checkEditList(root: URL, result: TranscodeResult) throws {
        for rendition in result.renditions {
            let data = try Data(contentsOf: root.appendingPathComponent("\(rendition.name)/init.mp4"))
            let entries = try #require(MP4Boxes.editList(in: data))
            #expect(entries.count == 1)
            #expect(entries.first?.mediaTime == 1024)
        }
    }

    private func checkWaveform(root: URL, result: TranscodeResult) throws {
        let data = try Data(contentsOf: root.appendingPathComponent(result.waveformPath))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["version"] as? Int == 2)
        #expect(json["channels"] as? Int == 1)
        #expect(json["bits"] as? Int == 8)
        let samplesPerPixel = try #require(json["samples_per_pixel"] as? Int)
        let sampleRate = try #require(json["sample_rate"] as? Int)
        let length = try #require(json["length"] as? Int)
        let values = try #require(json["data"] as? [Int])
        #expect(values.count == 2 * length)
        #expect(values.allSatisfy { (-128...127).contains($0) })
        let expectedLength = Int((result.durationSeconds * Double(sampleRate) / Double(samplesPerPixel)).rounded(.up))
        #expect(abs(length - expectedLength) <= 1)
        #expect(stride(from: 0, to: values.count, by: 2).allSatisfy { values[$0] <= values[$0 + 1] })
    }
}
