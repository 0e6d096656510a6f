import Foundation

/// The payload of a `track.cleanup` job: a deleted track whose objects (source, HLS tree,
/// `stream.m4a`, waveform) are to be removed from the store, then its row.
///
/// Enqueued by the delete route in the transaction that marks the track deleted; run by the
/// cleanup job handler, retried by the queue until the store answers.
public struct TrackCleanupJobPayload: TrackJobPayload, Equatable {
    /// The job queue cleanup jobs go to.
    public static let queue = "track.cleanup"

    public var trackID: UUID

    public init(trackID: UUID) {
        self.trackID = trackID
    }
}
