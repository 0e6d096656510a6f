import CFFmpeg

/// The FFmpeg libraries as linked (not as compiled against), and the encoder and muxer the HLS
/// ladder needs: a distribution build without them would fail every transcode.
struct FFmpegHealthCheck: HealthCheck {
    var name: String { "ffmpeg" }

    func check() async -> HealthReport {
        var details = [
            "libavformat": Self.version(avformat_version()),
            "libavcodec": Self.version(avcodec_version()),
            "libswresample": Self.version(swresample_version()),
            "libavutil": Self.version(avutil_version()),
        ]
        let aac = avcodec_find_encoder(AV_CODEC_ID_AAC) != nil
        let mp4 = av_guess_format("mp4", nil, nil) != nil
        details["aac_encoder"] = aac ? "yes" : "missing"
        details["mp4_muxer"] = mp4 ? "yes" : "missing"
        guard aac, mp4 else { return .unhealthy("FFmpeg lacks the AAC encoder or the MP4 muxer", details) }
        return .healthy(details)
    }

    static func version(_ packed: UInt32) -> String {
        "\(veza_version_major(packed)).\(veza_version_minor(packed)).\(veza_version_micro(packed))"
    }
}
