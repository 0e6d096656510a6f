import Catalog
import Database
import Foundation
import Logging
import Storage

/// Runs `transcode` jobs: reads a track's stored source (a presigned GET on S3, the file itself on
/// local disk), writes its HLS tree under a prefix of its own, and marks the track ready.
///
/// Each job writes under `hls/<track>/<job>/`: a re-run of the same job first deletes what an
/// earlier, interrupted attempt left there; a re-transcode (a new job) switches the track to its new
/// prefix in one guarded update and only then deletes the old tree, so players never see half of one.
public struct TranscodeJobHandler: JobHandler {
    public var queue: String { TranscodeJobPayload.queue }
    public let maxAttempts: Int

    let tracks: TrackRepository
    let store: any ObjectStore
    let ladderKbps: [Int]
    let segmentSeconds: Int
    /// How long the presigned source URL lives: long enough for the slowest transcode.
    let sourceURLLifetime: Duration

    public init(
        tracks: TrackRepository,
        store: any ObjectStore,
        ladderKbps: [Int],
        segmentSeconds: Int,
        maxAttempts: Int = 5,
        sourceURLLifetime: Duration = .seconds(6 * 3600)
    ) {
        self.tracks = tracks
        self.store = store
        self.ladderKbps = ladderKbps
        self.segmentSeconds = segmentSeconds
        self.maxAttempts = maxAttempts
        self.sourceURLLifetime = sourceURLLifetime
    }

    public func handle(_ job: Job, logger: Logger) async throws {
        let payload = try job.payload(as: TranscodeJobPayload.self)
        var logger = logger
        logger[metadataKey: "track.id"] = "\(payload.trackID)"
        guard let track = try await self.tracks.find(id: payload.trackID) else {
            logger.warning("transcode skipped: the track no longer exists")
            return
        }
        guard track.status == .processing else {
            logger.info(
                "transcode skipped: the track is not waiting for it",
                metadata: ["track.status": "\(track.status.rawValue)"]
            )
            return
        }
        let prefix = "hls/\(track.id.uuidString.lowercased())/\(job.id.uuidString.lowercased())/"
        // An earlier attempt of this job may have died half-way: start from a clean prefix.
        try await self.store.deleteAll(prefix: prefix)

        let (input, isLocal) = try self.sourceLocation(of: track)
        let result: TranscodeResult
        do {
            result = try await HLSTranscoder(
                ladderKbps: self.ladderKbps,
                segmentSeconds: self.segmentSeconds,
                logger: logger
            )
            .transcode(input: input, output: ObjectStoreSink(store: self.store, prefix: prefix))
        } catch let error as TranscodeError where Self.isPermanent(error, sourceIsLocal: isLocal) {
            // The file itself is bad: retrying cannot help. Tell the owner now.
            try? await self.store.deleteAll(prefix: prefix)
            try await self.tracks.apply(.transcodeFailed(reason: error.reason), to: track.id)
            logger.warning("transcode failed: the source is not usable audio", metadata: ["error": "\(error.reason)"])
            return
        }

        let outputs = TrackOutputs(
            hlsPrefix: prefix,
            renditions: result.renditions.map {
                TrackOutputs.Rendition(
                    name: $0.name,
                    bandwidth: $0.peakBitRate,
                    averageBandwidth: $0.averageBitRate,
                    codecs: $0.codecs,
                    channels: $0.channels,
                    sampleRate: $0.sampleRate
                )
            },
            durationMs: Int64((result.durationSeconds * 1000).rounded()),
            loudnessLUFS: result.loudness.integratedLUFS,
            truePeakDBTP: result.loudness.truePeakDBTP,
            waveformKey: prefix + result.waveformPath
        )
        let (_, previousPrefix) = try await self.tracks.markReady(track.id, outputs: outputs)
        if let previousPrefix {
            try? await self.store.deleteAll(prefix: previousPrefix)
        }
        logger.info(
            "transcode finished",
            metadata: ["duration_ms": "\(outputs.durationMs)", "renditions": "\(outputs.renditions.count)"]
        )
    }

    public func jobDied(_ job: Job, reason: String, logger: Logger) async {
        guard let payload = try? job.payload(as: TranscodeJobPayload.self) else { return }
        do {
            try await self.tracks.apply(.transcodeFailed(reason: reason), to: payload.trackID)
        } catch {
            logger.error(
                "could not mark the track failed",
                metadata: ["track.id": "\(payload.trackID)", "error": "\(error)"]
            )
        }
    }

    /// Local sources are read in place; S3 sources through a presigned GET, never downloaded first.
    func sourceLocation(of track: Track) throws -> (String, isLocal: Bool) {
        if let local = self.store as? FileSystemStore {
            return (try local.localPath(forKey: track.storageKey), true)
        }
        let url = try self.store.signedURL(
            method: .get,
            key: track.storageKey,
            expires: self.sourceURLLifetime,
            responseContentDisposition: nil,
            date: Date()
        )
        return (url, false)
    }

    /// Whether a failure is the file's fault. Reading a local file cannot fail transiently; reading
    /// over HTTP can (a network error looks like an unreadable input), so that is retried.
    static func isPermanent(_ error: TranscodeError, sourceIsLocal: Bool) -> Bool {
        if error == .unreadableInput || error == .decodeFailed { return sourceIsLocal }
        return error != .encodeFailed
    }
}
