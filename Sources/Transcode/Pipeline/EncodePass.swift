import Foundation
import Logging

/// What the blocking part of a transcode returns to the async side.
struct EncodedOutput: Sendable {
    let outputSamples: Int64
    let sampleRate: Int32
    let renditions: [EncodedRendition]
    let analysis: AnalysisResult
    /// The progressive MP4 of the rung nearest 128 kb/s (`stream.m4a`), a local file to upload.
    var progressivePath: String? { renditions.lazy.compactMap(\.progressivePath).first }
}

/// The blocking part of a transcode, run on a thread of its own: decode once, fan the
/// frames out to one encoder per rendition plus the analysis, cut and hand over segments.
struct EncodePass: Sendable {
    let input: String
    let ladderKbps: [Int]
    let segmentSeconds: Int
    /// Consumers on a pool of worker threads, one per core (true, ``FrameFanOut``), or
    /// everything on the decoding thread (false; kept for measuring and for tests).
    let parallel: Bool
    let outbox: FileOutbox
    let cancellation: CancellationFlag
    /// A source longer than this fails (`MAX_TRACK_SECONDS`).
    let maxDurationSeconds: Double
    /// Where the progressive `stream.m4a` is written while encoding; nil for none.
    let progressivePath: String?
    let logger: Logger

    /// The bit rate whose packets also make `stream.m4a`: the ladder's nearest to 128 kb/s.
    static func progressiveBitRate(of ladderKbps: [Int]) -> Int? {
        ladderKbps.min { abs($0 - 128) < abs($1 - 128) || (abs($0 - 128) == abs($1 - 128) && $0 > $1) }
    }

    func run() throws -> EncodedOutput {
        defer { outbox.finish() }
        let source = try SourceReader(
            url: input,
            cancellation: cancellation,
            maxDurationSeconds: maxDurationSeconds,
            logger: logger
        )
        let plan = OutputPlan(
            sourceSampleRate: source.sampleRate,
            sourceChannels: source.channelCount,
            ladderKbps: ladderKbps
        )
        let progressiveRate = Self.progressiveBitRate(of: ladderKbps).map { $0 * 1000 }
        let encoders = try plan.renditions.map {
            try RenditionEncoder(
                spec: $0,
                format: plan.format,
                segmentSeconds: segmentSeconds,
                outbox: outbox,
                progressivePath: $0.bitRate == progressiveRate ? progressivePath : nil
            )
        }
        let analysis = AnalysisConsumer(sampleRate: Int(plan.sampleRate), channels: plan.channels)
        // Costliest first: a worker that has the choice between two consumers equally far
        // behind takes the earlier one (higher bit rates take longer to encode).
        let consumers: [any FrameConsumer] = encoders.reversed() + [analysis]

        let decode = { (emit: (Frame) throws -> Void) throws -> SourceStats in
            try source.run(to: plan.format, frameSize: 1024, cancellation: self.cancellation, emit: emit)
        }
        let stats: SourceStats
        if parallel {
            let fanOut = FrameFanOut(consumers: consumers, workerCount: FrameFanOut.defaultWorkerCount)
            stats = try fanOut.run(produce: decode)
        } else {
            stats = try decode { frame in
                for consumer in consumers { try consumer.consume(frame) }
            }
            for consumer in consumers { try consumer.finish() }
        }
        logger.debug(
            "decoded source",
            metadata: [
                "transcode.samples": "\(stats.outputSamples)",
                "transcode.damaged_packets": "\(stats.damagedPackets)",
            ]
        )
        return EncodedOutput(
            outputSamples: stats.outputSamples,
            sampleRate: plan.sampleRate,
            renditions: encoders.map(\.result),
            analysis: analysis.result!
        )
    }
}

/// Runs blocking work on a new thread (FFmpeg calls block on CPU and on network reads,
/// which must not tie up Swift's cooperative pool) and resumes with its result.
func runOnThread<Result: Sendable>(name: String, _ body: @escaping @Sendable () throws -> Result) async throws -> Result
{
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Swift.Result { try body() })
        }
        thread.name = name
        thread.start()
    }
}
