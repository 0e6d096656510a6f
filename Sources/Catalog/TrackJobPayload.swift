import Foundation

/// The payload of a job about one track (`{"track_id": "<lowercase uuid>"}`): the transcode and the
/// cleanup jobs share its wire form, so each declares only its queue.
public protocol TrackJobPayload: Codable, Sendable {
    var trackID: UUID { get }
    init(trackID: UUID)
}

private enum TrackJobPayloadCodingKeys: String, CodingKey {
    case trackID = "track_id"
}

extension TrackJobPayload {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: TrackJobPayloadCodingKeys.self)
        let text = try container.decode(String.self, forKey: .trackID)
        guard let id = UUID(uuidString: text) else {
            throw DecodingError.dataCorruptedError(forKey: .trackID, in: container, debugDescription: "not a UUID")
        }
        self.init(trackID: id)
    }

    /// Ids are lowercase in every payload, key and log line.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TrackJobPayloadCodingKeys.self)
        try container.encode(self.trackID.uuidString.lowercased(), forKey: .trackID)
    }
}
