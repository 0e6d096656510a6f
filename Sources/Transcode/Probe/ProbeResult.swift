/// What probing a source found: its container and the audio stream that would be transcoded.
public struct ProbeResult: Sendable, Equatable {
    /// FFmpeg's demuxer name(s), e.g. "mp3", "flac", "wav", "ogg", "mov,mp4,m4a,3gp,3g2,mj2".
    public let container: String
    /// FFmpeg's codec name of the chosen audio stream, e.g. "mp3", "aac", "pcm_s16le".
    public let codec: String
    /// Duration in seconds as the container states or FFmpeg estimates it; nil if unknown.
    public let durationSeconds: Double?
    public let sampleRate: Int
    public let channels: Int
    /// Bit rate of the audio stream in bits/s, else of the whole file; nil if unknown.
    public let bitRate: Int?
    public let title: String?
    public let artist: String?
    public let album: String?

    /// Memberwise, for callers that build results themselves (fakes in tests).
    public init(
        container: String,
        codec: String,
        durationSeconds: Double?,
        sampleRate: Int,
        channels: Int,
        bitRate: Int?,
        title: String?,
        artist: String?,
        album: String?
    ) {
        self.container = container
        self.codec = codec
        self.durationSeconds = durationSeconds
        self.sampleRate = sampleRate
        self.channels = channels
        self.bitRate = bitRate
        self.title = title
        self.artist = artist
        self.album = album
    }
}
