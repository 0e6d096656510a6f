import Foundation
import Logging

/// Transcodes one audio source into an fMP4 HLS ladder of AAC-LC renditions, with its
/// loudness, peaks and waveform, in a single decode pass.
///
/// Output layout (relative paths handed to the sink, in this order):
/// `<rendition>/init.mp4` and `<rendition>/seg_00001.m4s`… while encoding, then
/// `<rendition>/index.m3u8`, `stream.m4a` (the rung nearest 128 kb/s as one progressive MP4,
/// moov first: what `/stream` gives listeners), `waveform.json` and last `master.m3u8`.
///
/// Every transcode is bounded: a source that declares or decodes to more than
/// ``maxTrackSeconds`` fails, and one that runs longer than ``timeLimitSeconds`` of wall-clock
/// time is stopped, so no source keeps a worker for ever.
public struct HLSTranscoder: Sendable {
    public let ladderKbps: [Int]
    public let segmentSeconds: Int
    /// Encode renditions and run the analysis on a pool of worker threads, one per core
    /// (the default), rather than one after another on the decoding thread.
    public var parallelRenditions = true
    /// The longest audio a track may hold (`MAX_TRACK_SECONDS`, default 4 h).
    public var maxTrackSeconds: Double = 4 * 3600
    /// The longest a transcode may run, wall-clock (default: ``maxTrackSeconds``).
    public var timeLimitSeconds: Double?
    /// Write `stream.m4a` (the default).
    public var writesProgressiveStream = true
    /// Where `stream.m4a` is written while encoding, before it goes to the sink.
    public var scratchDirectory = FileManager.default.temporaryDirectory
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
        let limit = self.timeLimitSeconds ?? self.maxTrackSeconds
        let cancellation = CancellationFlag(deadline: .now + .seconds(limit))
        let outbox = FileOutbox(capacity: 8, cancellation: cancellation)
        let progressivePath =
            writesProgressiveStream
            ? scratchDirectory.appendingPathComponent("veza-stream-\(UUID().uuidString).m4a").path : nil
        // The finished file is ours until it is uploaded (unfinished, the muxer removes it).
        defer { if let progressivePath { try? FileManager.default.removeItem(atPath: progressivePath) } }
        let pass = EncodePass(
            input: input,
            ladderKbps: ladderKbps.sorted(),
            segmentSeconds: segmentSeconds,
            parallel: parallelRenditions,
            outbox: outbox,
            cancellation: cancellation,
            maxDurationSeconds: maxTrackSeconds,
            progressivePath: progressivePath,
            logger: logger
        )
        let started = ContinuousClock.now
        do {
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
        } catch {
            if cancellation.isPastDeadline { throw TranscodeError.timedOut(limitSeconds: limit) }
            throw error
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
        var streamPath: String?
        if let file = encoded.progressivePath {
            streamPath = "stream.m4a"
            try await output.write(relativePath: "stream.m4a", contents: .file(URL(fileURLWithPath: file)))
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
            masterPath: masterPath,
            streamPath: streamPath
        )
    }
}
