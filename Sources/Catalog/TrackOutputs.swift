import Foundation

/// What transcoding produced for a track: where its HLS tree lives and what was measured.
public struct TrackOutputs: Codable, Sendable, Equatable {
    /// One HLS rendition as the master playlist lists it.
    public struct Rendition: Codable, Sendable, Equatable {
        public var name: String
        /// Measured peak segment bit rate, bits/s (`BANDWIDTH`).
        public var bandwidth: Int
        /// Measured average bit rate, bits/s (`AVERAGE-BANDWIDTH`).
        public var averageBandwidth: Int
        public var codecs: String
        public var channels: Int
        public var sampleRate: Int

        public init(name: String, bandwidth: Int, averageBandwidth: Int, codecs: String, channels: Int, sampleRate: Int)
        {
            self.name = name
            self.bandwidth = bandwidth
            self.averageBandwidth = averageBandwidth
            self.codecs = codecs
            self.channels = channels
            self.sampleRate = sampleRate
        }

        enum CodingKeys: String, CodingKey {
            case name, bandwidth, codecs, channels
            case averageBandwidth = "average_bandwidth"
            case sampleRate = "sample_rate"
        }
    }

    /// Object key prefix of the HLS tree, ending in `/` (`hls/<track>/<job>/`).
    public var hlsPrefix: String
    public var renditions: [Rendition]
    public var durationMs: Int64
    /// Integrated loudness (EBU R128), LUFS; nil for silence.
    public var loudnessLUFS: Double?
    public var truePeakDBTP: Double?
    /// Object key of the audiowaveform JSON.
    public var waveformKey: String
    /// Object key of `stream.m4a`, the progressive MP4 served to listeners instead of the original.
    public var streamKey: String?

    public init(
        hlsPrefix: String,
        renditions: [Rendition],
        durationMs: Int64,
        loudnessLUFS: Double?,
        truePeakDBTP: Double?,
        waveformKey: String,
        streamKey: String? = nil
    ) {
        self.streamKey = streamKey
        self.hlsPrefix = hlsPrefix
        self.renditions = renditions
        self.durationMs = durationMs
        self.loudnessLUFS = loudnessLUFS
        self.truePeakDBTP = truePeakDBTP
        self.waveformKey = waveformKey
    }
}
