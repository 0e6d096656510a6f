import Foundation
import JWTKit
import Logging

/// Mints and verifies the platform's HS256 bearer tokens.
///
/// The platform API issues these in production; `veza token` mints them for development.
public struct AccessTokens: Sendable {
    struct Payload: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var iat: IssuedAtClaim
        var role: Identity.Role

        func verify(using algorithm: some JWTAlgorithm) throws {
            try self.exp.verifyNotExpired()
        }
    }

    private let keys: JWTKeyCollection

    /// - Parameter secret: The HMAC secret (`JWT_SECRET` or the generated one).
    public init(secret: String) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
    }

    /// Mints a token for `identity`, valid for `lifetime`.
    public func mint(
        _ identity: Identity,
        lifetime: Duration = .seconds(86400),
        now: Date = Date()
    ) async throws -> String {
        let payload = Payload(
            sub: .init(value: identity.userID.uuidString.lowercased()),
            exp: .init(value: now.addingTimeInterval(TimeInterval(lifetime.components.seconds))),
            iat: .init(value: now),
            role: identity.role
        )
        return try await self.keys.sign(payload)
    }

    /// Verifies a token's signature and expiry.
    ///
    /// - Throws: ``APIError`` 401 with what is wrong (expired, bad signature, malformed).
    public func verify(_ token: String) async throws -> Identity {
        let payload: Payload
        do {
            payload = try await self.keys.verify(token, as: Payload.self)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            throw APIError.unauthorized("the bearer token has expired")
        } catch {
            throw APIError.unauthorized("the bearer token is not valid (bad signature or malformed)")
        }
        guard let userID = UUID(uuidString: payload.sub.value) else {
            throw APIError.unauthorized("the bearer token's subject is not a user id")
        }
        return Identity(userID: userID, role: payload.role)
    }
}

extension AccessTokens {
    /// The token service for a configuration: `JWT_SECRET`, or the generated secret of the data directory.
    public init(configuration: AppConfiguration, logger: Logger) async throws {
        let secret = try JWTSecret.resolve(
            configured: configuration.jwtSecret,
            dataDirectory: configuration.dataDirectory,
            logger: logger
        )
        await self.init(secret: secret)
    }
}
