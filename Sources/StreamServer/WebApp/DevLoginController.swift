import Foundation
import Hummingbird
import VezaAPI

/// `GET|POST /api/v1/dev/token`: on a server started with `VEZA_DEV_LOGIN=1`, mints a user token
/// for a typed user id (the web app's development sign-in button). Off by default: then both
/// answer 404 `dev_login_disabled`, whatever is sent.
struct DevLoginController: Sendable {
    let enabled: Bool
    let tokens: AccessTokens

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("dev/token") { _, _ in
            try self.requireEnabled()
            return try jsonResponse(DevLoginStatus(enabled: true))
        }
        routes.post("dev/token") { request, _ in
            try self.requireEnabled()
            let body = try await request.decodeJSON(as: DevTokenRequest.self)
            guard let id = UUID(uuidString: body.userID.trimmingCharacters(in: .whitespaces)) else {
                throw APIError.badRequest("'user_id' must be a UUID", code: "invalid_argument")
            }
            // Development tokens are user tokens: an admin token is `veza token --role admin`.
            let token = try await self.tokens.mint(Identity(userID: id, role: .user))
            return try jsonResponse(DevToken(token: token, userID: id.uuidString.lowercased()), status: .created)
        }
        return routes
    }

    func requireEnabled() throws {
        guard self.enabled else {
            throw APIError(
                .notFound,
                code: "dev_login_disabled",
                message: "development sign-in is off; start the server with VEZA_DEV_LOGIN=1"
            )
        }
    }
}
