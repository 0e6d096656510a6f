import Transcode

/// The FFmpeg libraries as linked (not as compiled against), and the encoder and muxer the HLS
/// ladder needs.
struct FFmpegHealthCheck: HealthCheck {
    var name: String { "ffmpeg" }

    func check() async -> HealthReport {
        var details = FFmpegLibraries.versions.dictionary.reduce(into: [String: String]()) {
            $0["lib\($1.key)"] = $1.value
        }
        let capabilities = FFmpegLibraries.capabilities
        details["aac_encoder"] = capabilities.aacEncoder ? "yes" : "missing"
        details["mp4_muxer"] = capabilities.mp4Muxer ? "yes" : "missing"
        guard capabilities.isComplete else {
            return .unhealthy("FFmpeg lacks the AAC encoder or the MP4 muxer", details)
        }
        return .healthy(details)
    }
}
