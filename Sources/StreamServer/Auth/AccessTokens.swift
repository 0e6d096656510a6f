import Foundation
import JWTKit
import Logging

/// Mints and verifies the platform's HS256 bearer tokens.
///
/// The platform API issues these in production; `veza token` mints them for development. Only
/// HS256 is accepted (the header's `alg` is checked, so a token cannot name another algorithm),
/// `nbf` is honoured and an `iat` more than ``clockSkew`` in the future is refused. A secret shorter
/// than 32 bytes is never used: with one, nothing is minted and every token is refused.
public struct AccessTokens: Sendable {
    struct Payload: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var iat: IssuedAtClaim
        var nbf: NotBeforeClaim?
        var role: Identity.Role

        /// The time claims are checked in ``AccessTokens/verify(_:now:)``, against its clock.
        func verify(using algorithm: some JWTAlgorithm) throws {}
    }

    /// How far ahead of this server's clock an issuer's clock may run.
    static let clockSkew: TimeInterval = 60

    /// Nil when the secret is too short to be safe.
    private let keys: JWTKeyCollection?
    /// Tokens whose header and signature were checked, with their claims: a player sends the same
    /// token on every range and segment request. Their time claims are checked again on every
    /// use; an entry is kept ``verifiedLifetime`` at most, ``verifiedCapacity`` entries at most.
    private let verified = ExpiringCache<String, VerifiedClaims>(capacity: Self.verifiedCapacity)
    static let verifiedCapacity = 4096
    static let verifiedLifetime: Duration = .seconds(60)

    /// What a verified token says.
    struct VerifiedClaims: Sendable {
        var identity: Identity
        var expires: Date
        var notBefore: Date?
        var issued: Date
    }

    /// - Parameter secret: The HMAC secret (`JWT_SECRET` or the generated one), at least 32 bytes.
    public init(secret: String) async {
        guard secret.utf8.count >= JWTSecret.minimumBytes else {
            self.keys = nil
            return
        }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
    }

    /// Mints a token for `identity`, valid for `lifetime`.
    ///
    /// - Throws: ``ConfigurationError`` when the secret is shorter than 32 bytes.
    public func mint(
        _ identity: Identity,
        lifetime: Duration = .seconds(86400),
        now: Date = Date()
    ) async throws -> String {
        guard let keys = self.keys else {
            throw ConfigurationError("the JWT secret is shorter than \(JWTSecret.minimumBytes) bytes")
        }
        let payload = Payload(
            sub: .init(value: identity.userID.uuidString.lowercased()),
            exp: .init(value: now.addingTimeInterval(TimeInterval(lifetime.components.seconds))),
            iat: .init(value: now),
            nbf: nil,
            role: identity.role
        )
        return try await keys.sign(payload)
    }

    /// Verifies a token's header, signature and time claims.
    ///
    /// - Parameters:
    ///   - token: The compact JWT.
    ///   - now: This server's clock.
    /// - Throws: ``APIError`` 401 with what is wrong (algorithm, expired, not yet valid, bad
    ///   signature, malformed).
    public func verify(_ token: String, now: Date = Date()) async throws -> Identity {
        guard let keys = self.keys else {
            throw APIError.unauthorized("the bearer token is not valid (bad signature or malformed)")
        }
        if let claims = self.verified.value(for: token) { return try Self.checkTimes(claims, now: now) }
        switch Self.headerAlgorithm(of: token) {
        case "HS256": break
        case nil: throw APIError.unauthorized("the bearer token is not valid (bad signature or malformed)")
        case .some: throw APIError.unauthorized("the bearer token must be signed with HS256 (its header's alg)")
        }
        let payload: Payload
        do {
            payload = try await keys.verify(token, as: Payload.self)
        } catch {
            throw APIError.unauthorized("the bearer token is not valid (bad signature or malformed)")
        }
        guard let userID = UUID(uuidString: payload.sub.value) else {
            throw APIError.unauthorized("the bearer token's subject is not a user id")
        }
        let claims = VerifiedClaims(
            identity: Identity(userID: userID, role: payload.role),
            expires: payload.exp.value,
            notBefore: payload.nbf?.value,
            issued: payload.iat.value
        )
        let identity = try Self.checkTimes(claims, now: now)
        self.verified.store(claims, for: token, for: Self.verifiedLifetime)
        return identity
    }

    /// The identity of a token verified within ``verifiedLifetime``, if its time claims still admit
    /// it at `now`; nil for any other token (``verify(_:now:)`` then decides, and remembers it).
    func recentlyVerifiedIdentity(_ token: String, now: Date = Date()) -> Identity? {
        guard self.keys != nil, let claims = self.verified.value(for: token) else { return nil }
        return try? Self.checkTimes(claims, now: now)
    }

    /// A verified token's identity, if its time claims admit it at `now`.
    static func checkTimes(_ claims: VerifiedClaims, now: Date) throws -> Identity {
        guard now < claims.expires else { throw APIError.unauthorized("the bearer token has expired") }
        if let notBefore = claims.notBefore, now < notBefore {
            throw APIError.unauthorized("the bearer token is not valid yet (nbf)")
        }
        guard claims.issued.timeIntervalSince(now) <= Self.clockSkew else {
            throw APIError.unauthorized("the bearer token was issued in the future (iat)")
        }
        return claims.identity
    }

    /// The `alg` of a compact JWT's header, or nil when the header is not a JSON object naming one.
    static func headerAlgorithm(of token: String) -> String? {
        guard let encoded = token.split(separator: ".", omittingEmptySubsequences: false).first,
            encoded.utf8.count <= 1024
        else { return nil }
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
            let header = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return header["alg"] as? String
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
