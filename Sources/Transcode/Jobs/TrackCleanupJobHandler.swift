import Catalog
import Database
import Foundation
import Logging
import Storage

/// Runs `track.cleanup` jobs: removes a deleted track's objects from the store (the source, every
/// HLS tree under `hls/<track>/` with its `stream.m4a` and waveform), then the row.
///
/// The track was marked deleted before the job was queued, so it is served by no route while its
/// objects go; the row goes last, so a row never names objects that are gone without also saying
/// it is deleted. Every step is idempotent: a failed attempt (the store unreachable) throws and the
/// queue retries it with backoff; a repeat after success finds no row and does nothing.
public struct TrackCleanupJobHandler: JobHandler {
    public var queue: String { TrackCleanupJobPayload.queue }
    public let maxAttempts: Int

    let tracks: TrackRepository
    let store: any ObjectStore

    public init(tracks: TrackRepository, store: any ObjectStore, maxAttempts: Int = 10) {
        self.tracks = tracks
        self.store = store
        self.maxAttempts = maxAttempts
    }

    public func handle(_ job: Job, logger: Logger) async throws {
        let payload = try job.payload(as: TrackCleanupJobPayload.self)
        var logger = logger
        logger[metadataKey: "track.id"] = "\(payload.trackID.uuidString.lowercased())"
        guard let track = try await self.tracks.findDeleted(id: payload.trackID) else {
            logger.info("track cleanup skipped: no deleted track with this id (already purged)")
            return
        }
        try await self.store.delete(key: track.storageKey)
        // Every transcode's tree, not only the current one: an interrupted re-transcode's too.
        let hlsRoot = "hls/\(track.id.uuidString.lowercased())/"
        let removed = try await self.store.deleteAll(prefix: hlsRoot)
        // Keys outside the tree (none today) are removed one by one.
        for key in [track.streamKey, track.waveformKey].compactMap({ $0 }) where !key.hasPrefix(hlsRoot) {
            try await self.store.delete(key: key)
        }
        try await self.tracks.purgeDeleted(id: track.id)
        logger.info("track cleaned up", metadata: ["track.objects_removed": "\(removed + 1)"])
    }
}
