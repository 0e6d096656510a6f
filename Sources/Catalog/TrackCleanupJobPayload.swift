import Foundation

/// The payload of a `track.cleanup` job: a deleted track whose objects (source, HLS tree,
/// `stream.m4a`, waveform) are to be removed from the store, then its row.
///
/// Enqueued by the delete route in the transaction that marks the track deleted; run by the
/// cleanup job handler, retried by the queue until the store answers.
public struct TrackCleanupJobPayload: Codable, Sendable, Equatable {
    /// The job queue cleanup jobs go to.
    public static let queue = "track.cleanup"

    public var trackID: UUID

    public init(trackID: UUID) {
        self.trackID = trackID
    }

    enum CodingKeys: String, CodingKey {
        case trackID = "track_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .trackID)
        guard let id = UUID(uuidString: text) else {
            throw DecodingError.dataCorruptedError(forKey: .trackID, in: container, debugDescription: "not a UUID")
        }
        self.trackID = id
    }

    /// Ids are lowercase in every payload, key and log line.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.trackID.uuidString.lowercased(), forKey: .trackID)
    }
}
