import Foundation

/// `POST /api/v1/tracks/{id}/share`: how long the link should work.
public struct CreateShareRequest: Codable, Sendable, Equatable {
    /// Seconds from now, 1 to the server's `SHARE_MAX_TTL`.
    public var expiresIn: Int64

    enum CodingKeys: String, CodingKey {
        case expiresIn = "expires_in"
    }

    public init(expiresIn: Int64) {
        self.expiresIn = expiresIn
    }
}

/// `POST /api/v1/tracks/{id}/share` → 201: a link that lets anyone holding it listen.
public struct ShareLink: Codable, Sendable, Equatable {
    /// The share token, sent as `?share=<token>` on any track URL.
    public var token: String
    /// The track's URL (a path) with the token.
    public var url: String
    /// When the token stops working (whole seconds).
    public var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case token, url
        case expiresAt = "expires_at"
    }

    public init(token: String, url: String, expiresAt: Date) {
        self.token = token
        self.url = url
        self.expiresAt = expiresAt
    }
}
