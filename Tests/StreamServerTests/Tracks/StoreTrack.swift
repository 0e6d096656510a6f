import Catalog
import Foundation
import Storage

@testable import StreamServer

/// Puts `bytes` in the store as a track's source and inserts the track.
///
/// - Parameter stream: What to store as the track's `stream.m4a` (what listeners who may not have
///   the original get from `/stream`): by default the same bytes; nil for a track without one.
func storeTrack(
    _ components: AppServices,
    bytes: [UInt8],
    ext: String = "wav",
    visibility: TrackVisibility = .public,
    status: TrackStatus = .ready,
    owner: UUID = UUID(),
    stream: [UInt8]?? = .some(nil)
) async throws -> Track {
    let id = UUID()
    let key = Track.sourceKey(ownerID: owner, trackID: id, fileExtension: ext)
    _ = try await components.store.put(key: key, body: .bytes(bytes))
    var track = Track(
        id: id,
        ownerID: owner,
        title: "Sëa – \"side\" B",
        visibility: visibility,
        status: status,
        storageBackend: components.configuration.storageBackend == .s3 ? .s3 : .local,
        storageKey: key,
        sizeBytes: Int64(bytes.count),
        sha256: "3a1f0c55d2e9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3",
        contentType: "audio/wav"
    )
    if let streamBytes = stream.map({ $0 ?? bytes }) {
        let prefix = "hls/\(id.uuidString.lowercased())/\(UUID().uuidString.lowercased())/"
        _ = try await components.store.put(
            key: prefix + "stream.m4a",
            body: .bytes(streamBytes),
            options: PutOptions(contentType: "audio/mp4")
        )
        track.hlsPrefix = prefix
        track.streamKey = prefix + "stream.m4a"
    }
    try await components.tracks.insert(track)
    return track
}
