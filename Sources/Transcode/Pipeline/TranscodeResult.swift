/// What a transcode produced, for the catalog and the API.
public struct TranscodeResult: Sendable, Equatable {
    /// Duration of the decoded audio in seconds (exact: output samples / sample rate).
    public let durationSeconds: Double
    /// One entry per ladder rung, lowest bit rate first.
    public let renditions: [RenditionResult]
    /// Loudness and peaks of the decoded audio.
    public let loudness: LoudnessResult
    /// Path of the waveform JSON relative to the output root ("waveform.json").
    public let waveformPath: String
    /// Path of the master playlist relative to the output root ("master.m3u8").
    public let masterPath: String
    /// Path of the progressive MP4 for listeners ("stream.m4a"), when one was written.
    public let streamPath: String?

    /// Memberwise, for callers that build results themselves (fakes in tests).
    public init(
        durationSeconds: Double,
        renditions: [RenditionResult],
        loudness: LoudnessResult,
        waveformPath: String,
        masterPath: String,
        streamPath: String? = nil
    ) {
        self.streamPath = streamPath
        self.durationSeconds = durationSeconds
        self.renditions = renditions
        self.loudness = loudness
        self.waveformPath = waveformPath
        self.masterPath = masterPath
    }
}

/// One rendition of the ladder as packaged.
public struct RenditionResult: Sendable, Equatable {
    /// Directory and display name, e.g. "aac_128k".
    public let name: String
    /// Path of the media playlist, e.g. "aac_128k/index.m3u8".
    public let playlistPath: String
    /// The bit rate the encoder was asked for, in bits/s.
    public let nominalBitRate: Int
    /// Largest segment bit rate (segment bytes × 8 / EXTINF), the master's `BANDWIDTH`.
    public let peakBitRate: Int
    /// All segment bytes × 8 / total duration, the master's `AVERAGE-BANDWIDTH`.
    public let averageBitRate: Int
    /// RFC 6381 codec string, "mp4a.40.2" (AAC-LC).
    public let codecs: String
    public let channels: Int
    public let sampleRate: Int
    public let segmentCount: Int

    /// Memberwise, for callers that build results themselves (fakes in tests).
    public init(
        name: String,
        playlistPath: String,
        nominalBitRate: Int,
        peakBitRate: Int,
        averageBitRate: Int,
        codecs: String,
        channels: Int,
        sampleRate: Int,
        segmentCount: Int
    ) {
        self.name = name
        self.playlistPath = playlistPath
        self.nominalBitRate = nominalBitRate
        self.peakBitRate = peakBitRate
        self.averageBitRate = averageBitRate
        self.codecs = codecs
        self.channels = channels
        self.sampleRate = sampleRate
        self.segmentCount = segmentCount
    }
}

/// Loudness per ITU-R BS.1770-4 / EBU R128, measured on the delivered (mono or stereo) signal.
public struct LoudnessResult: Sendable, Equatable {
    /// Integrated loudness with the −70 LUFS absolute and −10 LU relative gates; nil for silence.
    public let integratedLUFS: Double?
    /// Loudness range (EBU Tech 3342); nil when under 3 s of non-silent audio.
    public let loudnessRangeLU: Double?
    /// True peak (4× oversampled), dBTP; nil for silence.
    public let truePeakDBTP: Double?
    /// Sample peak, dBFS; nil for silence.
    public let samplePeakDBFS: Double?

    /// Memberwise, for callers that build results themselves (fakes in tests).
    public init(
        integratedLUFS: Double?,
        loudnessRangeLU: Double?,
        truePeakDBTP: Double?,
        samplePeakDBFS: Double?
    ) {
        self.integratedLUFS = integratedLUFS
        self.loudnessRangeLU = loudnessRangeLU
        self.truePeakDBTP = truePeakDBTP
        self.samplePeakDBFS = samplePeakDBFS
    }
}
