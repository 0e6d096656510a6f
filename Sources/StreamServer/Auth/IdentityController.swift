import Foundation
import Hummingbird

/// `GET /api/v1/me`: who the bearer token says the caller is. Lets clients check a token, and is
/// the simplest route behind ``RequireIdentityMiddleware``.
struct IdentityController {
    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.add(middleware: RequireIdentityMiddleware())
        routes.get("me") { _, context -> MeResponse in
            guard let identity = context.identity else { throw APIError.unauthorized("no identity") }
            return MeResponse(userID: identity.userID.uuidString.lowercased(), role: identity.role.rawValue)
        }
        return routes
    }

    struct MeResponse: ResponseEncodable {
        let userID: String
        let role: String

        enum CodingKeys: String, CodingKey {
            case userID = "user_id"
            case role
        }
    }
}
