import Catalog
import Foundation
import Hummingbird
import VezaAPI

extension TrackResource {
    /// The resource of a track, its URLs relative to the server.
    ///
    /// - Parameter query: `?share=…` to carry on the URLs, so a share link's holder can play them.
    init(track: Track, query: String) {
        let base = "/api/v1/tracks/\(track.id.uuidString.lowercased())"
        let ready = track.status == .ready && track.hlsPrefix != nil
        let renditions = track.renditionList.map {
            Rendition(
                name: $0.name,
                bandwidth: $0.bandwidth,
                averageBandwidth: $0.averageBandwidth,
                codecs: $0.codecs,
                channels: $0.channels,
                sampleRate: $0.sampleRate
            )
        }
        self.init(
            id: track.id.uuidString.lowercased(),
            ownerID: track.ownerID.uuidString.lowercased(),
            title: track.title,
            visibility: track.visibility.rawValue,
            status: track.status.rawValue,
            failureReason: track.failureReason,
            lastTranscodeError: track.lastTranscodeError,
            durationMs: track.durationMs,
            sizeBytes: track.sizeBytes,
            contentType: track.contentType,
            sha256: track.sha256,
            stream: base + "/stream" + query,
            hls: ready ? HLS(master: base + "/hls/master.m3u8" + query, renditions: renditions) : nil,
            loudness: ready ? Loudness(integratedLUFS: track.loudnessLUFS, truePeakDBTP: track.truePeakDBTP) : nil,
            waveform: ready && track.waveformKey != nil ? base + "/waveform.json" + query : nil,
            createdAt: track.createdAt,
            updatedAt: track.updatedAt
        )
    }
}
