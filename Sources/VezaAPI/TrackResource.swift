import Foundation

/// `GET /api/v1/tracks/{id}`: what a player or the platform needs to know about a track.
public struct TrackResource: Codable, Sendable, Equatable {
    public struct HLS: Codable, Sendable, Equatable {
        /// The master playlist's path.
        public var master: String
        public var renditions: [Rendition]

        public init(master: String, renditions: [Rendition]) {
            self.master = master
            self.renditions = renditions
        }
    }

    /// One HLS rendition with its measured bit rates.
    public struct Rendition: Codable, Sendable, Equatable {
        public var name: String
        /// Peak segment bit rate, bits/s (`BANDWIDTH`).
        public var bandwidth: Int
        /// Average bit rate, bits/s (`AVERAGE-BANDWIDTH`).
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
    }

    public struct Loudness: Codable, Sendable, Equatable {
        public var integratedLUFS: Double?
        public var truePeakDBTP: Double?

        enum CodingKeys: String, CodingKey {
            case integratedLUFS = "integrated_lufs"
            case truePeakDBTP = "true_peak_dbtp"
        }

        public init(integratedLUFS: Double?, truePeakDBTP: Double?) {
            self.integratedLUFS = integratedLUFS
            self.truePeakDBTP = truePeakDBTP
        }
    }

    /// Lowercase UUID.
    public var id: String
    public var ownerID: String
    public var title: String
    public var visibility: String
    /// `processing`, `ready` or `failed`.
    public var status: String
    public var failureReason: String?
    /// Why the latest re-transcode failed (the track kept playing its previous tree).
    public var lastTranscodeError: String?
    public var durationMs: Int64?
    public var sizeBytes: Int64
    public var contentType: String
    public var sha256: String
    /// The stream route's path.
    public var stream: String
    public var hls: HLS?
    public var loudness: Loudness?
    /// The waveform route's path, once the track is ready.
    public var waveform: String?
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, title, visibility, status, stream, hls, loudness, waveform, sha256
        case ownerID = "owner_id"
        case failureReason = "failure_reason"
        case lastTranscodeError = "last_transcode_error"
        case durationMs = "duration_ms"
        case sizeBytes = "size_bytes"
        case contentType = "content_type"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(
        id: String,
        ownerID: String,
        title: String,
        visibility: String,
        status: String,
        failureReason: String?,
        lastTranscodeError: String?,
        durationMs: Int64?,
        sizeBytes: Int64,
        contentType: String,
        sha256: String,
        stream: String,
        hls: HLS?,
        loudness: Loudness?,
        waveform: String?,
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.ownerID = ownerID
        self.title = title
        self.visibility = visibility
        self.status = status
        self.failureReason = failureReason
        self.lastTranscodeError = lastTranscodeError
        self.durationMs = durationMs
        self.sizeBytes = sizeBytes
        self.contentType = contentType
        self.sha256 = sha256
        self.stream = stream
        self.hls = hls
        self.loudness = loudness
        self.waveform = waveform
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
