import ArgumentParser
import Foundation
import Logging
import StreamServer
import Transcode

struct TranscodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcode",
        abstract: "Transcode one file into an HLS tree, offline (no database, no server).",
        discussion: """
            Writes INPUT's renditions (HLS_LADDER_KBPS, HLS_SEGMENT_SECONDS) to OUTDIR: master.m3u8, \
            <rendition>/index.m3u8, init.mp4 and segments, and waveform.json; prints a summary with \
            the measured bit rates and loudness. INPUT may be a path or an http(s) URL.
              veza transcode song.flac /tmp/song-hls
            """
    )

    @Argument(help: "The source audio file or URL.")
    var input: String

    @Argument(help: "The output directory (created if missing).")
    var outputDirectory: String

    func run() async throws {
        let configuration = CommandSupport.configuration()
        let logger = Logger.veza(level: configuration.logLevel)
        do {
            try FileManager.default.createDirectory(atPath: self.outputDirectory, withIntermediateDirectories: true)
            let transcoder = HLSTranscoder(
                ladderKbps: configuration.hlsLadderKbps,
                segmentSeconds: configuration.hlsSegmentSeconds,
                logger: logger
            )
            let started = ContinuousClock.now
            let result = try await transcoder.transcode(
                input: self.input,
                output: DirectorySink(root: URL(fileURLWithPath: self.outputDirectory))
            )
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(
                String(
                    format: "duration %.3f s, transcoded in %.2f s (%.1fx real time)",
                    result.durationSeconds,
                    seconds,
                    result.durationSeconds / max(seconds, 0.001)
                )
            )
            for rendition in result.renditions {
                print(
                    "\(rendition.name): \(rendition.segmentCount) segments, peak \(rendition.peakBitRate / 1000) kb/s, average \(rendition.averageBitRate / 1000) kb/s"
                )
            }
            let loudness = result.loudness
            if let lufs = loudness.integratedLUFS, let peak = loudness.truePeakDBTP {
                print(String(format: "loudness %.1f LUFS, true peak %.1f dBTP", lufs, peak))
            } else {
                print("loudness: silent (below the -70 LUFS gate)")
            }
            print((self.outputDirectory as NSString).appendingPathComponent(result.masterPath))
        } catch {
            CommandSupport.fail(error)
        }
    }
}
