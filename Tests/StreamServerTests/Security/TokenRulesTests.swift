import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import TestSupport
import Testing

@testable import StreamServer

/// Issue 9 §7: bearer tokens are HS256 only, `nbf` counts, `iat` may not lie in the future.
@Suite("Secrets: JWT header and time claims")
struct TokenRulesTests {
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A token signed with HMAC-SHA256 under `secret`, whatever its header says.
    static func token(header: [String: Any], claims: [String: Any], secret: String = TestApp.jwtSecret) throws -> String
    {
        let head = Self.base64URL(try JSONSerialization.data(withJSONObject: header))
        let body = Self.base64URL(try JSONSerialization.data(withJSONObject: claims))
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(head).\(body)".utf8),
            using: SymmetricKey(data: Data(secret.utf8))
        )
        return "\(head).\(body).\(Self.base64URL(Data(mac)))"
    }

    @Test("the table of headers and claims", arguments: DatabaseEngine.allCases)
    func table(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine) { _, client in
            let now = Date().timeIntervalSince1970.rounded(.down)
            let user = UUID().uuidString.lowercased()
            func claims(_ extra: [String: Any] = [:]) -> [String: Any] {
                ["sub": user, "exp": now + 3600, "iat": now, "role": "user"].merging(extra) { $1 }
            }
            let hs256: [String: Any] = ["alg": "HS256", "typ": "JWT"]
            let cases: [(String, String, Bool)] = [
                ("HS256", try Self.token(header: hs256, claims: claims()), true),
                ("header says HS512", try Self.token(header: ["alg": "HS512", "typ": "JWT"], claims: claims()), false),
                ("header says RS256", try Self.token(header: ["alg": "RS256", "typ": "JWT"], claims: claims()), false),
                ("header says none", try Self.token(header: ["alg": "none"], claims: claims()), false),
                ("no alg", try Self.token(header: ["typ": "JWT"], claims: claims()), false),
                ("nbf in 10 minutes", try Self.token(header: hs256, claims: claims(["nbf": now + 600])), false),
                ("nbf a minute ago", try Self.token(header: hs256, claims: claims(["nbf": now - 60])), true),
                ("iat in 10 minutes", try Self.token(header: hs256, claims: claims(["iat": now + 600])), false),
                ("iat 30 s ahead (skew)", try Self.token(header: hs256, claims: claims(["iat": now + 30])), true),
                ("expired", try Self.token(header: hs256, claims: claims(["exp": now - 10])), false),
                (
                    "another secret",
                    try Self.token(header: hs256, claims: claims(), secret: String(repeating: "z", count: 40)), false
                ),
            ]
            for (name, token, accepted) in cases {
                try await client.execute(
                    uri: "/api/v1/me",
                    method: .get,
                    headers: [.authorization: "Bearer \(token)"]
                ) { response in
                    #expect(response.status == (accepted ? .ok : .unauthorized), "\(name)")
                    if !accepted { #expect(response.body.apiError?.code == "unauthorized", "\(name)") }
                }
            }
        }
    }

    @Test("a short or empty secret signs nothing and verifies nothing")
    func shortSecret() async throws {
        let user = Identity(userID: UUID(), role: .admin)
        for secret in ["", "short"] {
            let tokens = await AccessTokens(secret: secret)
            await #expect(throws: (any Error).self) { _ = try await tokens.mint(user) }
            let forged = try Self.token(
                header: ["alg": "HS256", "typ": "JWT"],
                claims: [
                    "sub": user.userID.uuidString.lowercased(), "exp": Date().timeIntervalSince1970 + 600,
                    "iat": Date().timeIntervalSince1970, "role": "admin",
                ],
                secret: secret
            )
            await #expect(throws: APIError.self) { _ = try await tokens.verify(forged) }
        }
    }
}
