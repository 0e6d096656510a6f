import Catalog
import Database
import Foundation
import Logging
import Storage

/// Runs `transcode` jobs: reads a track's stored source (a presigned GET on S3, the file itself on
/// local disk), writes its HLS tree and `stream.m4a` under a prefix of its own, and marks the
/// track ready.
///
/// Each job writes under `hls/<track>/<job>/`: a re-run of the same job first deletes what an
/// earlier, interrupted attempt left there. A re-transcode (a new job for a `ready` track) leaves
/// the track `ready` and serving its current tree while it runs; the new tree is switched in by one
/// guarded update once complete, and only then is the old tree deleted. If the re-transcode fails,
/// the track keeps its tree and records `last_transcode_error`.
public struct TranscodeJobHandler: JobHandler {
    public var queue: String { TranscodeJobPayload.queue }
    public let maxAttempts: Int

    let tracks: TrackRepository
    let store: any ObjectStore
    let ladderKbps: [Int]
    let segmentSeconds: Int
    /// How long the presigned source URL lives: long enough for the slowest transcode.
    let sourceURLLifetime: Duration
    /// The longest a track may be (`MAX_TRACK_SECONDS`); also each job's wall-clock limit.
    public let maxTrackSeconds: Double

    public init(
        tracks: TrackRepository,
        store: any ObjectStore,
        ladderKbps: [Int],
        segmentSeconds: Int,
        maxAttempts: Int = 5,
        maxTrackSeconds: Double = 4 * 3600,
        sourceURLLifetime: Duration? = nil
    ) {
        self.tracks = tracks
        self.store = store
        self.ladderKbps = ladderKbps
        self.segmentSeconds = segmentSeconds
        self.maxAttempts = maxAttempts
        self.maxTrackSeconds = maxTrackSeconds
        // The URL must outlive the job's wall-clock limit, with an hour to spare.
        self.sourceURLLifetime = sourceURLLifetime ?? .seconds(min(maxTrackSeconds + 3600, 7 * 24 * 3600))
    }

    static func prefix(track: UUID, job: UUID) -> String {
        "hls/\(track.uuidString.lowercased())/\(job.uuidString.lowercased())/"
    }

    public func handle(_ job: Job, logger: Logger) async throws {
        let payload = try job.payload(as: TranscodeJobPayload.self)
        var logger = logger
        logger[metadataKey: "track.id"] = "\(payload.trackID.uuidString.lowercased())"
        guard let track = try await self.tracks.find(id: payload.trackID) else {
            logger.warning("transcode skipped: the track no longer exists")
            return
        }
        let prefix = Self.prefix(track: track.id, job: job.id)
        // `processing`: the first transcode. `ready`: a re-transcode, unless this job's tree is
        // already the current one (an attempt that switched and then lost its lease).
        guard track.status == .processing || (track.status == .ready && track.hlsPrefix != prefix) else {
            logger.info(
                "transcode skipped: the track is not waiting for it",
                metadata: ["track.status": "\(track.status.rawValue)"]
            )
            return
        }
        // An earlier attempt of this job may have died half-way: start from a clean prefix.
        try await self.store.deleteAll(prefix: prefix)

        let (input, isLocal) = try self.sourceLocation(of: track)
        let result: TranscodeResult
        do {
            var transcoder = HLSTranscoder(
                ladderKbps: self.ladderKbps,
                segmentSeconds: self.segmentSeconds,
                logger: logger
            )
            transcoder.maxTrackSeconds = self.maxTrackSeconds
            result = try await transcoder.transcode(
                input: input,
                output: ObjectStoreSink(store: self.store, prefix: prefix)
            )
        } catch let error as TranscodeError where Self.isPermanent(error, sourceIsLocal: isLocal) {
            // The file itself is bad: retrying cannot help. Tell the owner now (a ready track keeps
            // its tree and records the error).
            _ = try? await self.store.deleteAll(prefix: prefix)
            try await self.tracks.apply(.transcodeFailed(reason: error.reason), to: track.id)
            logger.warning(
                "transcode failed: the source is not usable audio",
                metadata: ["error.message": "\(error.reason)"]
            )
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
            waveformKey: prefix + result.waveformPath,
            streamKey: result.streamPath.map { prefix + $0 }
        )
        let previousPrefix: String?
        do {
            (_, previousPrefix) = try await self.tracks.markReady(track.id, outputs: outputs)
        } catch let error as TrackError where error.isInvalidTransition {
            // Someone else switched the track first (or it was deleted or failed meanwhile): this
            // tree is nobody's.
            _ = try? await self.store.deleteAll(prefix: prefix)
            logger.info("transcode discarded: the track changed while it ran")
            return
        }
        // Only now, with nothing pointing at it, does the old tree go.
        if let previousPrefix {
            _ = try? await self.store.deleteAll(prefix: previousPrefix)
        }
        logger.info(
            "transcode finished",
            metadata: [
                "transcode.duration_ms": "\(outputs.durationMs)",
                "transcode.renditions": "\(outputs.renditions.count)",
            ]
        )
    }

    public func jobDied(_ job: Job, reason: String, logger: Logger) async {
        guard let payload = try? job.payload(as: TranscodeJobPayload.self) else { return }
        _ = try? await self.store.deleteAll(prefix: Self.prefix(track: payload.trackID, job: job.id))
        do {
            try await self.tracks.apply(.transcodeFailed(reason: reason), to: payload.trackID)
        } catch {
            logger.error(
                "could not mark the track failed",
                metadata: ["track.id": "\(payload.trackID.uuidString.lowercased())", "error.message": "\(error)"]
            )
        }
    }

    /// Local sources are read in place; S3 sources through a presigned GET, never downloaded first.
    func sourceLocation(of track: Track) throws -> (String, isLocal: Bool) {
        if let path = try self.store.localPath(for: track.storageKey) {
            return (path, true)
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
    /// over HTTP can (a network error looks like an unreadable input), so that is retried. Bytes
    /// that were read and are not audio, or audio that is too long or never ends, are the file's.
    static func isPermanent(_ error: TranscodeError, sourceIsLocal: Bool) -> Bool {
        if error == .unreadableInput || error == .decodeFailed { return sourceIsLocal }
        return error != .encodeFailed
    }
}
