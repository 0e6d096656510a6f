import Foundation
import Testing

@testable import Transcode

/// Damaged or non-audio input fails with a reason a person can read.
@Suite("Corrupt and non-audio input")
struct CorruptInputTests {
    private func transcodeError(_ path: String) async throws -> TranscodeError {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do {
            _ = try await HLSTranscoder(logger: testLogger).transcode(
                input: path,
                output: DirectorySink(root: directory.url)
            )
        } catch let error as TranscodeError {
            return error
        }
        Issue.record("\(path) transcoded")
        throw ToolFailure(message: "no error")
    }

    @Test func truncatedMP3() async throws {
        let error = try await transcodeError(Fixtures.path("corrupt/truncated.mp3"))
        #expect(error == .truncated)
        #expect(error.reason.contains("truncated: decoded 0.7 s of the 3.0 s"), "\(error.reason)")
    }

    @Test func truncatedM4A() async throws {
        let error = try await transcodeError(Fixtures.path("corrupt/truncated.m4a"))
        #expect(error == .unreadableInput)
        #expect(
            error.reason.hasPrefix("could not read input: Invalid data found when processing input"),
            "\(error.reason)"
        )
    }

    @Test func randomBytesWithAudioExtension() async throws {
        // Refused before any demuxer runs: no MPEG frame header where the audio should start.
        let error = try await transcodeError(Fixtures.path("corrupt/noise.mp3"))
        #expect(error == .notAudio)
        #expect(error.reason.contains("not a recognised audio file"), "\(error.reason)")
    }

    @Test func missingFile() async throws {
        let error = try await transcodeError("/nonexistent/track.mp3")
        #expect(error.reason == "could not read input: No such file or directory")
    }

    @Test func videoWithoutAudio() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let video = try makeSource(
            "testsrc=size=64x64:rate=5:duration=1",
            in: directory.url,
            name: "silent.mp4",
            options: ["-c:v", "mpeg4"]
        )
        let error = try await transcodeError(video)
        #expect(error == .noAudioStream)
        #expect(error.reason == "no audio stream")
        await #expect(throws: TranscodeError.noAudioStream) { try await Probe.probe(video) }
        // A container we do not accept (Matroska) is refused before its demuxer runs.
        let matroska = try makeSource(
            "testsrc=size=64x64:rate=5:duration=1",
            in: directory.url,
            name: "silent.mkv",
            options: ["-c:v", "ffv1"]
        )
        #expect(try await transcodeError(matroska) == .notAudio)
    }

    @Test func randomBytesProbe() async throws {
        await #expect(throws: TranscodeError.notAudio) {
            try await Probe.probe(Fixtures.path("corrupt/noise.mp3"))
        }
    }
}
