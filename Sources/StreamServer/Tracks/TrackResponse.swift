import Catalog
import Foundation
import Hummingbird

/// `GET /api/v1/tracks/{id}`: what a player or the platform needs to know about a track.
struct TrackResponse: ResponseEncodable {
    struct HLS: Encodable {
        let master: String
        let renditions: [TrackOutputs.Rendition]
    }

    struct Loudness: Encodable {
        let integratedLUFS: Double?
        let truePeakDBTP: Double?

        enum CodingKeys: String, CodingKey {
            case integratedLUFS = "integrated_lufs"
            case truePeakDBTP = "true_peak_dbtp"
        }
    }

    let id: String
    let ownerID: String
    let title: String
    let visibility: String
    let status: String
    let failureReason: String?
    /// Why the latest re-transcode failed (the track kept playing its previous tree).
    let lastTranscodeError: String?
    let durationMs: Int64?
    let sizeBytes: Int64
    let contentType: String
    let sha256: String
    let stream: String
    let hls: HLS?
    let loudness: Loudness?
    let waveform: String?
    let createdAt: Date
    let updatedAt: Date

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

    /// - Parameter query: `?share=…` to carry on the URLs, so a share link's holder can play them.
    init(track: Track, query: String) {
        let base = "/api/v1/tracks/\(track.id.uuidString.lowercased())"
        self.id = track.id.uuidString.lowercased()
        self.ownerID = track.ownerID.uuidString.lowercased()
        self.title = track.title
        self.visibility = track.visibility.rawValue
        self.status = track.status.rawValue
        self.failureReason = track.failureReason
        self.lastTranscodeError = track.lastTranscodeError
        self.durationMs = track.durationMs
        self.sizeBytes = track.sizeBytes
        self.contentType = track.contentType
        self.sha256 = track.sha256
        self.stream = base + "/stream" + query
        let ready = track.status == .ready && track.hlsPrefix != nil
        self.hls = ready ? HLS(master: base + "/hls/master.m3u8" + query, renditions: track.renditionList) : nil
        self.loudness = ready ? Loudness(integratedLUFS: track.loudnessLUFS, truePeakDBTP: track.truePeakDBTP) : nil
        self.waveform = ready && track.waveformKey != nil ? base + "/waveform.json" + query : nil
        self.createdAt = track.createdAt
        self.updatedAt = track.updatedAt
    }
}
