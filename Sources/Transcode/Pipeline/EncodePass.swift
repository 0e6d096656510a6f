import Foundation
import Logging

/// What the blocking part of a transcode returns to the async side.
struct EncodedOutput: Sendable {
    let outputSamples: Int64
    let sampleRate: Int32
    let renditions: [EncodedRendition]
    let analysis: AnalysisResult
}

/// The blocking part of a transcode, run on a thread of its own: decode once, fan the
/// frames out to one encoder per rendition plus the analysis, cut and hand over segments.
struct EncodePass: Sendable {
    let input: String
    let ladderKbps: [Int]
    let segmentSeconds: Int
    /// One thread per rendition and one for the analysis (true), or everything on the
    /// decoding thread (false; kept for measuring).
    let parallel: Bool
    let outbox: FileOutbox
    let cancellation: CancellationFlag
    let logger: Logger

    func run() throws -> EncodedOutput {
        defer { outbox.finish() }
        let source = try SourceReader(url: input, cancellation: cancellation, logger: logger)
        let plan = OutputPlan(
            sourceSampleRate: source.sampleRate,
            sourceChannels: source.channelCount,
            ladderKbps: ladderKbps
        )
        let encoders = try plan.renditions.map {
            try RenditionEncoder(spec: $0, format: plan.format, segmentSeconds: segmentSeconds, outbox: outbox)
        }
        let analysis = AnalysisConsumer(sampleRate: Int(plan.sampleRate), channels: plan.channels)
        let plain: [any FrameConsumer] = encoders + [analysis]
        let consumers: [any FrameConsumer] =
            parallel
            ? plain.enumerated().map { ThreadedConsumer($1, name: "veza.transcode.\($0)") }
            : plain

        let stats: SourceStats
        do {
            stats = try source.run(to: plan.format, frameSize: 1024, cancellation: cancellation) { frame in
                for consumer in consumers { try consumer.consume(frame) }
            }
            for consumer in consumers { try consumer.finish() }
        } catch {
            for case let threaded as ThreadedConsumer in consumers { threaded.abandon() }
            throw error
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
