import Foundation
import Logging

/// Transcodes one audio source into an fMP4 HLS ladder of AAC-LC renditions, with its
/// loudness, peaks and waveform, in a single decode pass.
///
/// Output layout (relative paths handed to the sink, in this order):
/// `<rendition>/init.mp4` and `<rendition>/seg_00001.m4s`… while encoding, then
/// `<rendition>/index.m3u8`, `waveform.json` and last `master.m3u8`.
public struct HLSTranscoder: Sendable {
    public let ladderKbps: [Int]
    public let segmentSeconds: Int
    /// Encode renditions on threads of their own (the default) rather than one after
    /// another on the decoding thread.
    public var parallelRenditions = true
    private let logger: Logger

    /// - Parameters:
    ///   - ladderKbps: AAC bit rates in kb/s (`HLS_LADDER_KBPS`), each 16…320.
    ///   - segmentSeconds: target segment length (`HLS_SEGMENT_SECONDS`), 1…60.
    ///   - logger: for the transcoder; FFmpeg's own log goes to it too unless
    ///     `FFmpegLog.install` was called before.
    public init(ladderKbps: [Int] = [64, 128, 256], segmentSeconds: Int = 6, logger: Logger) {
        self.ladderKbps = ladderKbps
        self.segmentSeconds = segmentSeconds
        self.logger = logger
        FFmpegLog.install(logger: logger)
    }

    /// Parses `HLS_LADDER_KBPS` ("64,128,256"); nil when it is not a list of positive integers.
    public static func ladder(fromEnvironmentValue value: String) -> [Int]? {
        let parts = value.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return parts.compactMap { $0 }
    }

    /// Transcodes `input` (a local path, or an http(s) URL such as a presigned S3 GET,
    /// read as it is decoded) and writes the HLS tree to `output`.
    ///
    /// Throws `TranscodeError` for bad input or configuration, `CancellationError` when
    /// the task is cancelled, or whatever the sink throws. Files already written stay
    /// written: the caller removes a failed job's prefix.
    public func transcode(input: String, output: any HLSOutputSink) async throws -> TranscodeResult {
        try validateConfiguration()
        let cancellation = CancellationFlag()
        let outbox = FileOutbox(capacity: 8, cancellation: cancellation)
        let pass = EncodePass(
            input: input,
            ladderKbps: ladderKbps.sorted(),
            segmentSeconds: segmentSeconds,
            parallel: parallelRenditions,
            outbox: outbox,
            cancellation: cancellation,
            logger: logger
        )
        let started = ContinuousClock.now
        return try await withTaskCancellationHandler {
            async let encoding = runOnThread(name: "veza.transcode.decode") { try pass.run() }
            do {
                for await file in outbox.files {
                    try await output.write(relativePath: file.relativePath, contents: .bytes(file.data))
                    outbox.written()
                }
            } catch {
                cancellation.cancel()
                _ = try? await encoding
                throw error
            }
            let encoded = try await encoding
            let result = try await writePlaylists(encoded, to: output)
            logger.info(
                "transcoded",
                metadata: [
                    "transcode.duration_s": "\(result.durationSeconds)",
                    "transcode.elapsed": "\(ContinuousClock.now - started)",
                    "transcode.integrated_lufs": "\(result.loudness.integratedLUFS.map { "\($0)" } ?? "-")",
                ]
            )
            return result
        } onCancel: {
            cancellation.cancel()
        }
    }

    private func validateConfiguration() throws {
        guard !ladderKbps.isEmpty else { throw TranscodeError.invalidConfiguration("the ladder is empty") }
        guard Set(ladderKbps).count == ladderKbps.count else {
            throw TranscodeError.invalidConfiguration("the ladder repeats a bit rate")
        }
        if let bad = ladderKbps.first(where: { !(16...320).contains($0) }) {
            throw TranscodeError.invalidConfiguration("\(bad) kb/s is outside 16…320 kb/s")
        }
        guard (1...60).contains(segmentSeconds) else {
            throw TranscodeError.invalidConfiguration("segments of \(segmentSeconds) s (allowed: 1…60)")
        }
    }

    /// Media playlists, waveform, then the master: once the master exists, everything it names does.
    private func writePlaylists(_ encoded: EncodedOutput, to output: any HLSOutputSink) async throws -> TranscodeResult
    {
        var renditions: [RenditionResult] = []
        for rendition in encoded.renditions {
            let playlistPath = "\(rendition.spec.name)/index.m3u8"
            try await output.write(relativePath: playlistPath, contents: .bytes(Data(Playlists.media(rendition).utf8)))
            let bandwidth = Playlists.bandwidth(rendition.segments)
            renditions.append(
                RenditionResult(
                    name: rendition.spec.name,
                    playlistPath: playlistPath,
                    nominalBitRate: rendition.spec.bitRate,
                    peakBitRate: bandwidth.peak,
                    averageBitRate: bandwidth.average,
                    codecs: Playlists.aacLCCodecs,
                    channels: rendition.channels,
                    sampleRate: Int(rendition.sampleRate),
                    segmentCount: rendition.segments.count
                )
            )
        }
        let waveformPath = "waveform.json"
        try await output.write(relativePath: waveformPath, contents: .bytes(encoded.analysis.waveform.json()))
        let masterPath = "master.m3u8"
        try await output.write(relativePath: masterPath, contents: .bytes(Data(Playlists.master(renditions).utf8)))
        return TranscodeResult(
            durationSeconds: Double(encoded.outputSamples) / Double(encoded.sampleRate),
            renditions: renditions,
            loudness: encoded.analysis.loudness,
            waveformPath: waveformPath,
            masterPath: masterPath
        )
    }
}
