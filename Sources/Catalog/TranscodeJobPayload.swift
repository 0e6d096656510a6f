import Foundation

/// The payload of a `transcode` job: which track to (re)transcode.
///
/// Enqueued by ingest when an upload completes and by the admin re-transcode route; run by the
/// transcode job handler. One definition, so the producers and the consumer cannot drift apart.
public struct TranscodeJobPayload: TrackJobPayload, Equatable {
    /// The job queue transcode jobs go to.
    public static let queue = "transcode"

    public var trackID: UUID

    public init(trackID: UUID) {
        self.trackID = trackID
    }
}
