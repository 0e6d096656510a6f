import Foundation

/// The payload of a `transcode` job: which track to (re)transcode.
///
/// Enqueued by ingest when an upload completes and by the admin re-transcode route; run by the
/// transcode job handler. One definition, so the producers and the consumer cannot drift apart.
public struct TranscodeJobPayload: Codable, Sendable, Equatable {
    /// The job queue transcode jobs go to.
    public static let queue = "transcode"

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
