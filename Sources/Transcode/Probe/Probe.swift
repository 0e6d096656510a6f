import CFFmpeg

/// Reads a source's container and best audio stream without decoding it.
public enum Probe {
    /// Probes a local path or an http(s) URL (a presigned S3 GET; only what the demuxer
    /// needs is read). Cover art and data streams are ignored; a file without a decodable
    /// audio stream throws a `TranscodeError` saying why.
    public static func probe(_ input: String) async throws -> ProbeResult {
        try await runOnThread(name: "veza.probe") { try probeBlocking(input) }
    }

    static func probeBlocking(_ input: String) throws -> ProbeResult {
        let format: FormatInput
        do {
            format = try FormatInput(url: input)
        } catch {
            throw TranscodeError.unreadableInput(error)
        }
        let stream: UnsafeMutablePointer<AVStream>
        do {
            stream = try format.bestAudioStream().stream
        } catch {
            if error.code == AVError.decoderNotFound, let audio = format.firstAudioStream {
                throw TranscodeError.unsupportedCodec(
                    String(cString: avcodec_get_name(audio.pointee.codecpar.pointee.codec_id))
                )
            }
            throw TranscodeError.noAudioStream
        }
        let parameters = stream.pointee.codecpar.pointee
        guard parameters.sample_rate > 0, parameters.ch_layout.nb_channels > 0 else {
            throw TranscodeError.decodeFailed(AVError(code: AVError.invalidData))
        }
        let context = format.context.pointee
        var duration: Double?
        if context.duration != veza_av_nopts_value() && context.duration > 0 {
            duration = Double(context.duration) / Double(AV_TIME_BASE)
        } else if stream.pointee.duration != veza_av_nopts_value() && stream.pointee.duration > 0 {
            duration = Double(stream.pointee.duration) * av_q2d(stream.pointee.time_base)
        }
        let bitRate =
            parameters.bit_rate > 0 ? Int(parameters.bit_rate) : context.bit_rate > 0 ? Int(context.bit_rate) : nil
        return ProbeResult(
            container: format.formatName,
            codec: String(cString: avcodec_get_name(parameters.codec_id)),
            durationSeconds: duration,
            sampleRate: Int(parameters.sample_rate),
            channels: Int(parameters.ch_layout.nb_channels),
            bitRate: bitRate,
            title: format.tag("title", stream: stream),
            artist: format.tag("artist", stream: stream),
            album: format.tag("album", stream: stream)
        )
    }
}
