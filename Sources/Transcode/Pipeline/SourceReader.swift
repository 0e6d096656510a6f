import CFFmpeg
import Logging

/// What decoding the source found out.
struct SourceStats: Sendable {
    /// Samples delivered to the encoders, at the output sample rate.
    var outputSamples: Int64 = 0
    /// Samples the decoder produced, at the source's rate.
    var decodedSamples: Int64 = 0
    var decodedFrames = 0
    /// Packets the decoder rejected and that were skipped.
    var damagedPackets = 0
    /// Seconds of audio decoded so far (each frame at its own rate).
    var decodedSeconds: Double = 0
}

/// Opens the source, picks its audio stream and decodes it once: every decoded frame
/// is resampled to the output format and regrouped into the encoder's frame size.
final class SourceReader {
    let input: FormatInput
    let stream: UnsafeMutablePointer<AVStream>
    private let decoder: AudioDecoder
    private let logger: Logger
    private var lastDecodeError: AVError?
    private var stats = SourceStats()
    /// Decoding more audio than this fails the source (`MAX_TRACK_SECONDS`).
    let maxDurationSeconds: Double

    /// Opens `url` (path or http(s) URL), mapping FFmpeg's failures to readable reasons.
    ///
    /// - Parameter maxDurationSeconds: A source whose header declares more, or that decodes to
    ///   more, fails with ``TranscodeError/tooLong(limitSeconds:)``.
    init(url: String, cancellation: CancellationFlag, maxDurationSeconds: Double, logger: Logger) throws {
        self.logger = logger
        self.maxDurationSeconds = maxDurationSeconds
        do {
            input = try FormatInput(url: url, cancellation: cancellation)
        } catch {
            if error.code == AVError.exit { throw CancellationError() }
            throw TranscodeError.unreadableInput(error)
        }
        // FFmpeg quietly clamps a WAV's or AIFF's data to the file; a header promising more than
        // the file holds is a truncated (or lying) file.
        if let declared = input.declaredLength, let actual = input.actualLength, declared > actual {
            throw TranscodeError.truncated(declaredBytes: declared, actualBytes: actual)
        }
        let best: (stream: UnsafeMutablePointer<AVStream>, codec: UnsafePointer<AVCodec>)
        do {
            best = try input.bestAudioStream()
        } catch {
            if error.code == AVError.decoderNotFound, let audio = input.firstAudioStream {
                throw TranscodeError.unsupportedCodec(
                    String(cString: avcodec_get_name(audio.pointee.codecpar.pointee.codec_id))
                )
            }
            throw TranscodeError.noAudioStream
        }
        stream = best.stream
        let parameters = stream.pointee.codecpar.pointee
        // A stream FFmpeg could not even size (random bytes that happened to probe as a format).
        guard parameters.sample_rate > 0, parameters.ch_layout.nb_channels > 0 else {
            throw TranscodeError.decodeFailed(AVError(code: AVError.invalidData))
        }
        do {
            decoder = try AudioDecoder(stream: stream, codec: best.codec)
        } catch {
            throw TranscodeError.decodeFailed(error)
        }
        if let declared = declaredDurationSeconds, declared > maxDurationSeconds {
            throw TranscodeError.tooLong(limitSeconds: maxDurationSeconds)
        }
    }

    var sampleRate: Int32 { stream.pointee.codecpar.pointee.sample_rate }
    var channelCount: Int { Int(stream.pointee.codecpar.pointee.ch_layout.nb_channels) }

    /// Decodes the whole stream, emitting frames of `frameSize` samples in `format`
    /// (only the last may be shorter), with pts counting output samples.
    func run(
        to format: AudioFormat,
        frameSize: Int,
        cancellation: CancellationFlag,
        emit: (Frame) throws -> Void
    ) throws -> SourceStats {
        stats = SourceStats()
        let fifo = try AudioFIFO(format: format)
        var resampler: Resampler?
        let converted = try Frame()

        func send(_ frame: Frame) throws {
            frame.pts = stats.outputSamples
            stats.outputSamples += Int64(frame.sampleCount)
            try emit(frame)
        }
        func drain(all: Bool) throws {
            while fifo.count >= frameSize || (all && fifo.count > 0) {
                try send(try fifo.read(samples: min(frameSize, fifo.count)))
            }
        }
        func resample(_ decoded: Frame?) throws {
            guard let resampler else { return }
            try resampler.convert(decoded, into: converted)
            // Nothing waiting in the FIFO: whole frames go out as views of the resampler's
            // buffers (no copy; `converted` gets fresh buffers next time), only the remainder
            // is queued. A source decoding to 1024-sample frames (WAV, AAC) never copies.
            var offset = 0
            if fifo.count == 0 {
                while converted.sampleCount - offset >= frameSize {
                    try send(try converted.slice(from: offset, count: frameSize))
                    offset += frameSize
                }
            }
            try fifo.write(converted, from: offset)
            try drain(all: false)
        }
        func handle(_ decoded: Frame) throws {
            decoded.fixUnspecifiedLayout()
            stats.decodedFrames += 1
            stats.decodedSamples += Int64(decoded.sampleCount)
            stats.decodedSeconds +=
                Double(decoded.sampleCount) / Double(max(decoded.pointer.pointee.sample_rate, 1))
            if stats.decodedSeconds > maxDurationSeconds {
                throw TranscodeError.tooLong(limitSeconds: maxDurationSeconds)
            }
            let incoming = AudioFormat(frame: decoded)
            if let current = resampler, !current.input.matches(incoming) {
                // The stream changed format midway (rate or channels): flush and start over.
                try resample(nil)
                resampler = nil
            }
            if resampler == nil {
                resampler = try Resampler(from: incoming, to: format)
            }
            try resample(decoded)
        }

        let packet = try Packet()
        while try readPacket(into: packet, cancellation: cancellation) {
            defer { packet.unref() }
            guard packet.streamIndex == stream.pointee.index else { continue }
            try decode(packet, handle)
        }
        try decode(nil, handle)
        try resample(nil)
        try drain(all: true)
        try validate(stats)
        return stats
    }

    private func readPacket(into packet: Packet, cancellation: CancellationFlag) throws -> Bool {
        if cancellation.isCancelled { throw CancellationError() }
        do {
            return try input.read(into: packet)
        } catch {
            if error.code == AVError.exit { throw CancellationError() }
            throw TranscodeError.unreadableInput(error)
        }
    }

    /// Sends one packet (nil drains) and handles every frame that comes out. A packet
    /// the decoder rejects is skipped, like a player would; too many of them is a failure.
    private func decode(_ packet: Packet?, _ handle: (Frame) throws -> Void) throws {
        while true {
            let accepted: Bool
            do {
                accepted = try decoder.send(packet)
            } catch {
                try noteDamaged(error)
                return
            }
            while true {
                let frame: Frame?
                do {
                    frame = try decoder.receive()
                } catch {
                    try noteDamaged(error)
                    continue
                }
                guard let frame else { break }
                try handle(frame)
            }
            if accepted { return }
        }
    }

    private func noteDamaged(_ error: AVError) throws {
        stats.damagedPackets += 1
        lastDecodeError = error
        logger.debug("skipped a damaged packet", metadata: ["ffmpeg.error": "\(error)"])
        // A few bad packets in a long file are normal (a player skips them); mostly bad is not audio.
        if stats.damagedPackets > 8 && stats.damagedPackets > stats.decodedFrames / 4 {
            throw TranscodeError.decodeFailed(error)
        }
    }

    /// Fails a stream that decoded to nothing, or to far less than its header declares.
    private func validate(_ stats: SourceStats) throws {
        guard stats.decodedSamples > 0 else {
            if let lastDecodeError { throw TranscodeError.decodeFailed(lastDecodeError) }
            throw TranscodeError.noAudioDecoded
        }
        if stats.damagedPackets > 0 && stats.damagedPackets * 2 > stats.decodedFrames {
            throw TranscodeError.decodeFailed(lastDecodeError)
        }
        let decodedSeconds = Double(stats.decodedSamples) / Double(max(sampleRate, 1))
        if let declared = declaredDurationSeconds {
            let missing = declared - decodedSeconds
            if missing > max(1.0, declared * 0.05) {
                throw TranscodeError.truncated(decodedSeconds: decodedSeconds, declaredSeconds: declared)
            }
        }
    }

    /// The duration the file's header states (a frame count, a data chunk size…), or nil
    /// when FFmpeg only estimated it from the bit rate and file size, which a truncated
    /// file would fool too.
    var declaredDurationSeconds: Double? {
        let context = input.context.pointee
        guard context.duration_estimation_method != AVFMT_DURATION_FROM_BITRATE else { return nil }
        if stream.pointee.duration != veza_av_nopts_value() && stream.pointee.duration > 0 {
            return Double(stream.pointee.duration) * av_q2d(stream.pointee.time_base)
        }
        guard context.duration != veza_av_nopts_value(), context.duration > 0 else { return nil }
        return Double(context.duration) / Double(AV_TIME_BASE)
    }
}

extension FormatInput {
    /// Any audio stream, decodable or not (to name its codec in an error).
    var firstAudioStream: UnsafeMutablePointer<AVStream>? {
        streams.first { $0.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_AUDIO }
    }
}
