import Foundation
import SignedURL
import Testing

@Suite("Share tokens")
struct ShareTokenTests {
    static let tokens = ShareToken(secret: Array("0123456789abcdef0123456789abcdef".utf8))
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    static let expires = Date(timeIntervalSince1970: 1_700_086_400)
    static let trackID = "3f2b8c1e-6a4d-4e0f-9b7a-1c2d3e4f5a6b"

    @Test("a token is <subject>.<expiry>.<43 base64url characters>")
    func shape() throws {
        let token = Self.tokens.mint(subject: Self.trackID, expires: Self.expires)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3)
        #expect(parts[0] == Self.trackID)
        #expect(parts[1] == "1700086400")
        #expect(parts[2].utf8.count == 43)
        #expect(parts[2].allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    }

    @Test("a fresh token is valid for its subject")
    func valid() {
        let token = Self.tokens.mint(subject: Self.trackID, expires: Self.expires)
        let expected = ShareTokenCheck.valid(subject: Self.trackID, expires: Self.expires)
        #expect(Self.tokens.verify(token, subject: Self.trackID, now: Self.now) == expected)
        #expect(Self.tokens.verify(token, now: Self.now) == expected)
        #expect(Self.tokens.verify(token, now: Self.expires - 1) == expected)
    }

    @Test("a subject may contain dots")
    func dottedSubject() {
        let token = Self.tokens.mint(subject: "album.7.track.3", expires: Self.expires)
        #expect(
            Self.tokens.verify(token, subject: "album.7.track.3", now: Self.now)
                == .valid(subject: "album.7.track.3", expires: Self.expires)
        )
    }

    @Test("an old token is expired")
    func expired() {
        let token = Self.tokens.mint(subject: Self.trackID, expires: Self.expires)
        #expect(Self.tokens.verify(token, subject: Self.trackID, now: Self.expires) == .expired)
        #expect(Self.tokens.verify(token, now: Self.expires + 1) == .expired)
    }

    @Test("a token for another subject is refused")
    func wrongSubject() {
        let token = Self.tokens.mint(subject: "42", expires: Self.expires)
        #expect(Self.tokens.verify(token, subject: "43", now: Self.now) == .wrongSubject)
        #expect(Self.tokens.verify(token, subject: "4", now: Self.now) == .wrongSubject)
        // Canonically equivalent is not equal: subjects are compared as bytes.
        let composed = Self.tokens.mint(subject: "caf\u{E9}", expires: Self.expires)
        #expect(Self.tokens.verify(composed, subject: "cafe\u{301}", now: Self.now) == .wrongSubject)
    }

    @Test("tampering makes a token invalid")
    func tampered() {
        let token = Self.tokens.mint(subject: "42", expires: Self.expires)
        let parts = token.split(separator: ".").map(String.init)
        let mac = parts[2]
        let flippedMAC = (mac.first == "A" ? "B" : "A") + mac.dropFirst()
        for forged in [
            "43.\(parts[1]).\(mac)",
            "42.1700086401.\(mac)",
            "42.\(parts[1]).\(flippedMAC)",
            "42.\(parts[1]).\(mac.dropLast())",
            "42.\(parts[1]).\(mac)A",
            "42.0\(parts[1]).\(mac)",
            "x42.\(parts[1]).\(mac)",
        ] {
            #expect(Self.tokens.verify(forged, now: Self.now) == .invalid)
        }
        // Forged and expired is still invalid.
        #expect(Self.tokens.verify("42.1700086401.\(mac)", now: Self.expires + 100) == .invalid)
    }

    @Test("another secret's token is invalid")
    func wrongSecret() {
        let token = Self.tokens.mint(subject: "42", expires: Self.expires)
        let other = ShareToken(secret: Array("another secret of thirty-two b!!".utf8))
        #expect(other.verify(token, now: Self.now) == .invalid)
    }

    @Test(
        "malformed tokens are invalid, never a crash",
        arguments: [
            "", ".", "..", "...", "42", "42.", "42.1700086400", "42.1700086400.", ".1700086400.abc",
            "42..\(String(repeating: "A", count: 43))", "42.-1.\(String(repeating: "A", count: 43))",
            "42.17000864000000000000.\(String(repeating: "A", count: 43))",
            "42.1700086400.\(String(repeating: "A", count: 43))=", "42.1700086400.\(String(repeating: "/", count: 43))",
            "é.１.é",
        ]
    )
    func malformed(_ token: String) {
        #expect(Self.tokens.verify(token, now: Self.now) == .invalid)
        #expect(Self.tokens.verify(token, subject: "42", now: Self.now) == .invalid)
    }

    @Test("oversized tokens are rejected unread")
    func oversized() {
        let valid = Self.tokens.mint(subject: String(repeating: "a", count: 2_000), expires: Self.expires)
        for token in [String(repeating: ".", count: 5_000), String(repeating: "a", count: 100_000), valid] {
            #expect(Self.tokens.verify(token, now: Self.now) == .invalid)
        }
    }

    @Test("an app-signed URL signature cannot be passed off as a share token")
    func noCrossUse() {
        let secret = Array("0123456789abcdef0123456789abcdef".utf8)
        let items = AppURLSigner(secret: secret).sign(method: "GET", path: "42", expires: Self.expires, subject: nil)
        let forged = "42.\(items[0].value).\(items[1].value)"
        #expect(ShareToken(secret: secret).verify(forged, now: Self.now) == .invalid)
    }
}
