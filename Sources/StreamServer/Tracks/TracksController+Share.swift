import Foundation
import Hummingbird
import VezaAPI

extension TracksController {
    /// `POST /api/v1/tracks/{id}/share` `{"expires_in": seconds}`: mints a share token (the kind
    /// ``authorize(_:_:purpose:)`` verifies) for the owner or an admin. Anyone else gets the 404 of
    /// an unknown id, so track ids cannot be probed.
    func createShare(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let identity = context.identity else {
            throw APIError.unauthorized("sharing a track needs an 'Authorization: Bearer <token>' header")
        }
        let notFound = APIError.notFound("no such track")
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let track = try await self.tracks.find(id: id),
            identity.isAdmin || identity.userID == track.ownerID
        else { throw notFound }
        let body = try await request.decodeJSON(as: CreateShareRequest.self)
        let maximum = self.shareMaxTTL.components.seconds
        guard body.expiresIn > 0, body.expiresIn <= maximum else {
            throw APIError.badRequest(
                "'expires_in' must be 1 to \(maximum) seconds (SHARE_MAX_TTL)",
                code: "invalid_argument"
            )
        }
        let expires = Date(timeIntervalSince1970: floor(Date().timeIntervalSince1970) + TimeInterval(body.expiresIn))
        let subject = track.id.uuidString.lowercased()
        let token = self.shareTokens.mint(subject: subject, expires: expires)
        let link = ShareLink(token: token, url: "/api/v1/tracks/\(subject)?share=\(token)", expiresAt: expires)
        return try jsonResponse(link, status: .created)
    }

    /// How long a presigned URL handed to this caller may live: `base`, but never past the share
    /// token the caller's access comes from.
    static func presignedLifetime(_ base: Duration, shareExpires: Date?, now: Date) -> Duration {
        guard let shareExpires else { return base }
        let remaining = Int64(shareExpires.timeIntervalSince(now).rounded(.down))
        return .seconds(max(1, min(base.components.seconds, remaining)))
    }
}
