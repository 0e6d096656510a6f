import Foundation
import Testing

@testable import SignedURL

@Suite("App-signed URLs")
struct AppURLSignerTests {
    static let secret = Array("0123456789abcdef0123456789abcdef".utf8)
    static let signer = AppURLSigner(secret: secret)
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    static let expires = Date(timeIntervalSince1970: 1_700_000_300)
    static let path = "/files/tracks/42/source.flac"

    static func query(_ items: [(name: String, value: String)]) -> [String: String] {
        Dictionary(items.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
    }

    static func signed(method: String = "GET", path: String = path, subject: String? = "user-7") -> [String: String] {
        Self.query(Self.signer.sign(method: method, path: path, expires: Self.expires, subject: subject))
    }

    @Test("sign returns expires, subject and a base64url signature")
    func shape() {
        let items = Self.signer.sign(method: "GET", path: Self.path, expires: Self.expires, subject: "user-7")
        #expect(items.map(\.name) == ["expires", "subject", "signature"])
        #expect(items[0].value == "1700000300")
        #expect(items[1].value == "user-7")
        #expect(items[2].value.utf8.count == 43)
        #expect(items[2].value.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })

        let anonymous = Self.signer.sign(method: "GET", path: Self.path, expires: Self.expires, subject: nil)
        #expect(anonymous.map(\.name) == ["expires", "signature"])
    }

    @Test("a fresh URL is valid and returns its subject")
    func valid() {
        #expect(
            Self.signer.verify(method: "GET", path: Self.path, query: Self.signed(), now: Self.now)
                == .valid(subject: "user-7")
        )
        #expect(
            Self.signer.verify(method: "get", path: Self.path, query: Self.signed(subject: nil), now: Self.now)
                == .valid(subject: nil)
        )
        // Fractions of a second are dropped when signing; validity ends at the whole second.
        let fractional = Self.signer.sign(
            method: "GET",
            path: Self.path,
            expires: Date(timeIntervalSince1970: 1_700_000_300.9),
            subject: nil
        )
        #expect(Self.query(fractional)["expires"] == "1700000300")
    }

    @Test("expiry is checked to the second")
    func expired() {
        let query = Self.signed()
        #expect(
            Self.signer.verify(method: "GET", path: Self.path, query: query, now: Self.expires - 1)
                == .valid(subject: "user-7")
        )
        #expect(Self.signer.verify(method: "GET", path: Self.path, query: query, now: Self.expires) == .expired)
        #expect(
            Self.signer.verify(method: "GET", path: Self.path, query: query, now: Self.expires + 86_400) == .expired
        )
    }

    @Test("a URL signed for GET also answers HEAD, not the other way round")
    func headForGet() {
        #expect(
            Self.signer.verify(method: "HEAD", path: Self.path, query: Self.signed(), now: Self.now)
                == .valid(subject: "user-7")
        )
        #expect(
            Self.signer.verify(method: "GET", path: Self.path, query: Self.signed(method: "HEAD"), now: Self.now)
                == .invalid
        )
    }

    @Test("tampering with any signed part makes the URL invalid")
    func tampered() {
        let query = Self.signed()
        #expect(Self.signer.verify(method: "PUT", path: Self.path, query: query, now: Self.now) == .invalid)
        #expect(Self.signer.verify(method: "GET", path: Self.path + "x", query: query, now: Self.now) == .invalid)
        #expect(
            Self.signer.verify(method: "GET", path: "/files/tracks/43/source.flac", query: query, now: Self.now)
                == .invalid
        )

        var otherSubject = query
        otherSubject["subject"] = "user-8"
        #expect(Self.signer.verify(method: "GET", path: Self.path, query: otherSubject, now: Self.now) == .invalid)

        var noSubject = query
        noSubject["subject"] = nil
        #expect(Self.signer.verify(method: "GET", path: Self.path, query: noSubject, now: Self.now) == .invalid)

        var emptySubject = Self.signed(subject: nil)
        emptySubject["subject"] = ""
        #expect(Self.signer.verify(method: "GET", path: Self.path, query: emptySubject, now: Self.now) == .invalid)

        var later = query
        later["expires"] = "1700000301"
        #expect(Self.signer.verify(method: "GET", path: Self.path, query: later, now: Self.now) == .invalid)

        // An expired URL with a forged expiry is invalid, not "expired".
        #expect(Self.signer.verify(method: "GET", path: Self.path, query: later, now: Self.expires + 10) == .invalid)

        let signature = query["signature"]!
        for position in [signature.startIndex, signature.index(before: signature.endIndex)] {
            var flipped = signature
            let replacement: Character = signature[position] == "A" ? "B" : "A"
            flipped.replaceSubrange(position...position, with: String(replacement))
            var forged = query
            forged["signature"] = flipped
            #expect(Self.signer.verify(method: "GET", path: Self.path, query: forged, now: Self.now) == .invalid)
        }
    }

    @Test("another secret's signature is invalid")
    func wrongSecret() {
        let other = AppURLSigner(secret: Array("another secret of thirty-two b!!".utf8))
        #expect(other.verify(method: "GET", path: Self.path, query: Self.signed(), now: Self.now) == .invalid)
    }

    @Test(
        "malformed parameters are invalid, never a crash",
        arguments: [
            [:],
            ["expires": "1700000300"],
            ["signature": "abc"],
            ["expires": "", "signature": ""],
            ["expires": "-1", "signature": "x"],
            ["expires": "+1700000300", "signature": "x"],
            ["expires": " 1700000300", "signature": "x"],
            ["expires": "99999999999999999999999", "signature": "x"],
            ["expires": "1e9", "signature": "x"],
            ["expires": "１７００", "signature": "x"],
            ["expires": "1700000300", "signature": String(repeating: "A", count: 43) + "="],
            ["expires": "1700000300", "signature": String(repeating: "A", count: 44)],
            ["expires": "1700000300", "signature": String(repeating: "+", count: 43)],
            ["expires": "1700000300", "signature": String(repeating: "é", count: 43)],
            ["expires": "1700000300", "signature": String(repeating: "A", count: 400)],
        ] as [[String: String]]
    )
    func malformed(_ query: [String: String]) {
        #expect(Self.signer.verify(method: "GET", path: Self.path, query: query, now: Self.now) == .invalid)
    }

    @Test("fields are length-prefixed: moving a boundary changes the MAC")
    func fieldSeparation() {
        let mac = FieldMAC(secret: Self.secret, purpose: "test")
        #expect(mac.authenticate([.text("a"), .text("bc")]) != mac.authenticate([.text("ab"), .text("c")]))
        #expect(mac.authenticate([.text(""), .text("a")]) != mac.authenticate([.text("a"), .text("")]))
        #expect(mac.authenticate([.optionalText(nil)]) != mac.authenticate([.optionalText("")]))
        #expect(mac.authenticate([.text("x"), .integer(12)]) != mac.authenticate([.text("x1"), .integer(2)]))
        // Same signed text through the public API, different boundaries.
        let a = Self.signer.sign(method: "GET", path: "/ab", expires: Self.expires, subject: "c")
        let b = Self.signer.sign(method: "GET", path: "/a", expires: Self.expires, subject: "bc")
        #expect(a.last!.value != b.last!.value)
    }

    @Test("keys are separated by purpose")
    func domainSeparation() {
        let fields: [FieldMAC.Field] = [.text("42"), .integer(1_700_000_300)]
        #expect(
            FieldMAC(secret: Self.secret, purpose: "veza-media/app-url/v1").authenticate(fields)
                != FieldMAC(secret: Self.secret, purpose: "veza-media/share-token/v1").authenticate(fields)
        )
    }

    @Test("random input never crashes the verifier")
    func fuzz() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789-_=+/.AZaz é\u{0}")
        for _ in 0..<2_000 {
            func randomText() -> String {
                String(
                    (0..<Int.random(in: 0...50, using: &generator)).map { _ in
                        alphabet.randomElement(using: &generator)!
                    }
                )
            }
            let query = ["expires": randomText(), "signature": randomText(), "subject": randomText()]
            #expect(
                Self.signer.verify(method: randomText(), path: randomText(), query: query, now: Self.now) == .invalid
            )
        }
    }
}
