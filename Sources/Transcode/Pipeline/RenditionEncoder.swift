import CFFmpeg
import Foundation

/// A finished media segment of one rendition.
struct SegmentRecord: Sendable, Equatable {
    let fileName: String
    /// Presentation duration (priming and end padding excluded), what EXTINF states.
    let duration: Double
    let byteCount: Int
}

/// Everything a rendition produced, for its playlist and the master playlist.
struct EncodedRendition: Sendable {
    let spec: RenditionSpec
    let sampleRate: Int32
    let channels: Int
    let initByteCount: Int
    let segments: [SegmentRecord]
    let primingSamples: Int
    /// The finished progressive MP4 of this rung, if it was chosen for `stream.m4a`.
    var progressivePath: String? = nil
}

/// Encodes one rendition: AAC encoder → fragmented MP4 muxer → segments of
/// `segmentSeconds`, each handed to the outbox as soon as it is cut.
///
/// A segment is cut before the first packet whose presentation time reaches the next
/// multiple of `segmentSeconds`. Every rendition has the same sample rate and 1024-sample
/// frames, so the cuts fall on the same packets, and so the same instants, in all of them.
final class RenditionEncoder: FrameConsumer {
    let spec: RenditionSpec
    private let format: AudioFormat
    private let encoder: AACEncoder
    private let muxer: FragmentedMP4Muxer
    /// The same packets as one progressive MP4 (`stream.m4a`), for the rung chosen for it.
    private let progressive: ProgressiveMP4Muxer?
    private let outbox: FileOutbox
    private let segmentSamples: Int64
    private var nextBoundary: Int64
    private var openSegmentStart: Int64?
    private var openSegmentEnd: Int64 = 0
    private var inputSamples: Int64 = 0
    private var draining = false
    private var initByteCount = 0
    private var segments: [SegmentRecord] = []

    /// - Parameter progressivePath: Where to write this rung's packets as a progressive MP4 too.
    init(
        spec: RenditionSpec,
        format: AudioFormat,
        segmentSeconds: Int,
        outbox: FileOutbox,
        progressivePath: String? = nil
    ) throws {
        self.spec = spec
        self.format = format
        self.outbox = outbox
        do {
            encoder = try AACEncoder(format: format, bitRate: spec.bitRate)
            muxer = try FragmentedMP4Muxer(encoder: encoder)
            if let progressivePath {
                progressive = try ProgressiveMP4Muxer(encoder: encoder, path: progressivePath)
            } else {
                progressive = nil
            }
        } catch {
            throw TranscodeError.encodeFailed(error)
        }
        segmentSamples = Int64(segmentSeconds) * Int64(format.sampleRate)
        nextBoundary = segmentSamples
    }

    func consume(_ frame: Frame) throws {
        inputSamples += Int64(frame.sampleCount)
        try encode(frame)
    }

    func finish() throws {
        draining = true
        try encode(nil)
        try cutSegment()
        do {
            try muxer.finish()
            try progressive?.finish()
        } catch {
            throw TranscodeError.encodeFailed(error)
        }
    }

    /// What was produced; valid after `finish()`.
    var result: EncodedRendition {
        EncodedRendition(
            spec: spec,
            sampleRate: format.sampleRate,
            channels: format.channelCount,
            initByteCount: initByteCount,
            segments: segments,
            primingSamples: encoder.primingSamples,
            progressivePath: progressive?.path
        )
    }

    private func encode(_ frame: Frame?) throws {
        do {
            try encoder.encode(frame) { packet in try self.write(packet) }
        } catch let error as AVError {
            throw TranscodeError.encodeFailed(error)
        }
    }

    private func write(_ packet: Packet) throws {
        // Encoder time base is 1/sample rate, so pts counts samples; the first is −priming.
        let pts = packet.pts
        // Packets past the end of the input hold only the encoder's padding: they stay in
        // the last segment instead of making a tiny one of their own.
        let paddingOnly = draining && pts >= inputSamples
        if openSegmentStart != nil && pts >= nextBoundary && !paddingOnly {
            try cutSegment()
        }
        while nextBoundary <= pts {
            nextBoundary += segmentSamples
        }
        if openSegmentStart == nil { openSegmentStart = pts }
        openSegmentEnd = pts + packet.duration
        do {
            try progressive?.write(packet, from: encoder.context.pointee.time_base)
        } catch {
            throw TranscodeError.encodeFailed(error)
        }
        try muxer.write(packet, from: encoder.context.pointee.time_base)
    }

    private func cutSegment() throws {
        guard let start = openSegmentStart else { return }
        let cut: (initSegment: Data?, fragment: Data)
        do { cut = try muxer.cutFragment() } catch { throw TranscodeError.encodeFailed(error) }
        if let initSegment = cut.initSegment {
            initByteCount = initSegment.count
            try outbox.put("\(spec.name)/init.mp4", initSegment)
        }
        // Presentation time: the edit list hides the priming before 0 and the padding
        // after the last input sample.
        let end = min(openSegmentEnd, inputSamples)
        let duration = Double(end - max(start, 0)) / Double(format.sampleRate)
        let fileName = String(format: "seg_%05d.m4s", segments.count + 1)
        segments.append(SegmentRecord(fileName: fileName, duration: duration, byteCount: cut.fragment.count))
        try outbox.put("\(spec.name)/\(fileName)", cut.fragment)
        openSegmentStart = nil
    }
}
