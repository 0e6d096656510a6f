import Foundation
import Testing

@testable import Transcode

@Suite("Probe")
struct ProbeTests {
    @Test func reportsStreamAndTags() async throws {
        let result = try await Probe.probe(Fixtures.path("music.mp3"))
        #expect(result.container == "mp3")
        #expect(result.codec == "mp3")
        #expect(result.sampleRate == 44100)
        #expect(result.channels == 2)
        #expect(result.bitRate == 96000)
        #expect(abs((result.durationSeconds ?? 0) - 3.03) < 0.05)
        #expect(result.title == "Fixture Chords")
        #expect(result.artist == "Veza Test Band")
        #expect(result.album == "Fixtures Vol. 1")
    }

    @Test func ignoresCoverArt() async throws {
        let result = try await Probe.probe(Fixtures.path("music-cover.mp3"))
        #expect(result.codec == "mp3")
        #expect(result.channels == 2)
        #expect(result.title == "Fixture Chords")
    }

    @Test func readsNonASCIITagsAndOtherContainers() async throws {
        let flac = try await Probe.probe(Fixtures.path("music.flac"))
        #expect(flac.container == "flac")
        #expect(flac.title?.contains("Ünïcödé") == true, "\(flac.title ?? "nil")")
        let m4a = try await Probe.probe(Fixtures.path("music.m4a"))
        #expect(m4a.container.contains("mp4") && m4a.codec == "aac")
        let wav = try await Probe.probe(Fixtures.path("music.wav"))
        #expect(wav.codec == "pcm_s16le" && wav.sampleRate == 11025)
        let mono = try await Probe.probe(Fixtures.path("music-mono.mp3"))
        #expect(mono.channels == 1)
    }
}

@Suite("FFmpeg layer")
struct FFmpegLayerTests {
    @Test func linkedVersionsAreFFmpeg51() {
        let versions = FFmpegLibraries.versions
        #expect(versions.avformat.major == 59)
        #expect(versions.avcodec.major == 59)
        #expect(versions.swresample.major == 4)
        #expect(versions.avutil.major == 57)
        #expect(versions.dictionary["avformat"]?.hasPrefix("59.") == true)
    }

    @Test func errorsCarryFFmpegsMessage() {
        #expect(AVError(code: AVError.eof).message == "End of file")
        #expect(AVError(code: AVError.invalidData).message == "Invalid data found when processing input")
        let error = AVError(code: AVError.again, operation: "avcodec_receive_frame")
        #expect(error.description.hasPrefix("avcodec_receive_frame: Resource temporarily unavailable"))
    }

    @Test func logLevelsStayQuietAtInfo() {
        #expect(FFmpegLog.swiftLevel(for: 16) == .error)  // AV_LOG_ERROR
        #expect(FFmpegLog.swiftLevel(for: 24) == .warning)  // AV_LOG_WARNING
        #expect(FFmpegLog.swiftLevel(for: 32) == .debug)  // AV_LOG_INFO
        #expect(FFmpegLog.swiftLevel(for: 48) == .trace)  // AV_LOG_DEBUG
        #expect(FFmpegLog.ffmpegLevel(for: .info) == 24)
    }

    @Test func ladderParsing() {
        #expect(HLSTranscoder.ladder(fromEnvironmentValue: "64,128,256") == [64, 128, 256])
        #expect(HLSTranscoder.ladder(fromEnvironmentValue: " 96 , 192") == [96, 192])
        #expect(HLSTranscoder.ladder(fromEnvironmentValue: "64,abc") == nil)
        #expect(HLSTranscoder.ladder(fromEnvironmentValue: "") == nil)
    }

    @Test func outputSampleRates() {
        #expect(OutputPlan.sampleRate(forSource: 44100) == 44100)
        #expect(OutputPlan.sampleRate(forSource: 11025) == 44100)
        #expect(OutputPlan.sampleRate(forSource: 88200) == 44100)
        #expect(OutputPlan.sampleRate(forSource: 48000) == 48000)
        #expect(OutputPlan.sampleRate(forSource: 8000) == 48000)
        #expect(OutputPlan.sampleRate(forSource: 96000) == 48000)
        #expect(OutputPlan.sampleRate(forSource: 37800) == 48000)
    }
}
