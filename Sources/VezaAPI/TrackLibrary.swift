import Foundation

/// `GET /api/v1/me/tracks` and `GET /api/v1/users/{id}/tracks`: a page of tracks, newest first.
public struct TrackList: Codable, Sendable, Equatable {
    public var tracks: [TrackResource]
    /// Pass as `?cursor=` for the next page; nil on the last page.
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case tracks
        case nextCursor = "next_cursor"
    }

    public init(tracks: [TrackResource], nextCursor: String?) {
        self.tracks = tracks
        self.nextCursor = nextCursor
    }

    /// Encodes `next_cursor` as null on the last page rather than leaving it out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.tracks, forKey: .tracks)
        try container.encode(self.nextCursor, forKey: .nextCursor)
    }
}

/// `PATCH /api/v1/tracks/{id}`: the fields to change; at least one.
public struct UpdateTrackRequest: Codable, Sendable, Equatable {
    public var title: String?
    /// `public`, `unlisted` or `private`.
    public var visibility: String?

    public init(title: String? = nil, visibility: String? = nil) {
        self.title = title
        self.visibility = visibility
    }
}

/// `GET /api/v1/upload/limits`: what the server accepts, so clients check before sending a byte.
public struct UploadLimits: Codable, Sendable, Equatable {
    public struct Audio: Codable, Sendable, Equatable {
        /// The largest file accepted (`MAX_UPLOAD_AUDIO_MB`), in bytes.
        public var maxBytes: Int64
        /// The same, for people: `100 MiB`.
        public var maxHuman: String
        /// The content types of the containers accepted (checked from the file's bytes).
        public var allowedTypes: [String]

        enum CodingKeys: String, CodingKey {
            case maxBytes = "max_bytes"
            case maxHuman = "max_human"
            case allowedTypes = "allowed_types"
        }

        public init(maxBytes: Int64, maxHuman: String, allowedTypes: [String]) {
            self.maxBytes = maxBytes
            self.maxHuman = maxHuman
            self.allowedTypes = allowedTypes
        }
    }

    public var audio: Audio
    /// Bytes per chunk of the chunk API.
    public var chunkSize: Int64

    enum CodingKeys: String, CodingKey {
        case audio
        case chunkSize = "chunk_size"
    }

    public init(audio: Audio, chunkSize: Int64) {
        self.audio = audio
        self.chunkSize = chunkSize
    }
}

/// `POST /api/v1/dev/token` (only with `VEZA_DEV_LOGIN=1`): the user to mint a token for.
public struct DevTokenRequest: Codable, Sendable, Equatable {
    public var userID: String

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
    }

    public init(userID: String) {
        self.userID = userID
    }
}

/// `POST /api/v1/dev/token` → 201: a development bearer token.
public struct DevToken: Codable, Sendable, Equatable {
    public var token: String
    public var userID: String

    enum CodingKeys: String, CodingKey {
        case token
        case userID = "user_id"
    }

    public init(token: String, userID: String) {
        self.token = token
        self.userID = userID
    }
}

/// `GET /api/v1/dev/token` → 200 when development sign-in is on (404 otherwise).
public struct DevLoginStatus: Codable, Sendable, Equatable {
    public var enabled: Bool

    public init(enabled: Bool) {
        self.enabled = enabled
    }
}
