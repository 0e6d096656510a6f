import Foundation

/// The outcome of checking a share token.
public enum ShareTokenCheck: Sendable, Hashable {
    /// The token is ours, for this subject, and has not expired.
    case valid(subject: String, expires: Date)
    /// The token is ours but its time is up.
    case expired
    /// The token is ours but was minted for another subject (e.g. another track).
    case wrongSubject
    /// The token is malformed or was not minted by us.
    case invalid
}

/// Compact tokens for share links to private tracks: `<subject>.<expiry>.<mac>`, where `subject` is
/// the track ID (or whatever the link grants), `expiry` is Unix seconds and `mac` is the base64url
/// HMAC-SHA256 of both under a key derived from the server secret for share tokens only.
///
/// The token is parsed from the right, so a subject may itself contain dots. Subjects made of
/// URL-safe characters (UUIDs, numbers) give tokens that need no percent-encoding.
public struct ShareToken: Sendable {
    /// The longest token ``verify(_:subject:now:)`` looks at; longer input is rejected unread.
    public static let maximumLength = 1_024

    private let mac: FieldMAC

    /// Creates a minter and verifier of share tokens.
    ///
    /// - Parameter secret: The server secret; use at least 32 random bytes. Changing it invalidates
    ///   every token minted so far.
    public init(secret: [UInt8]) {
        self.mac = FieldMAC(secret: secret, purpose: "veza-media/share-token/v1")
    }

    /// Mints a token.
    ///
    /// - Parameters:
    ///   - subject: What the token grants access to, e.g. the track ID.
    ///   - expires: When the token stops working; rounded down to whole seconds.
    /// - Returns: The token text.
    public func mint(subject: String, expires: Date) -> String {
        let expiry = UnixTime.seconds(expires.timeIntervalSince1970)
        let mac = Base64URL.encode(self.mac.authenticate([.text(subject), .integer(expiry)]))
        return "\(subject).\(expiry).\(mac)"
    }

    /// Checks a token.
    ///
    /// The MAC is checked first, then the subject, then the expiry.
    ///
    /// - Parameters:
    ///   - token: The token as received.
    ///   - subject: The subject the request is for (e.g. the track in the URL), or `nil` to accept a
    ///     token for any subject and read it from the result.
    ///   - now: The current time; the token is expired from its expiry second on.
    /// - Returns: `.valid(subject:expires:)`, `.expired`, `.wrongSubject` or `.invalid`.
    public func verify(_ token: String, subject: String? = nil, now: Date) -> ShareTokenCheck {
        // Split on bytes, not Characters: "." is ASCII and Character scanning is slow.
        let bytes = token.utf8
        guard bytes.count <= Self.maximumLength,
            let macDot = bytes.lastIndex(of: UInt8(ascii: ".")),
            let expiryDot = bytes[..<macDot].lastIndex(of: UInt8(ascii: "."))
        else {
            return .invalid
        }
        let tokenSubject = String(token[..<expiryDot])
        let expiryText = token[bytes.index(after: expiryDot)..<macDot]
        let macText = token[bytes.index(after: macDot)...]
        guard let expiry = UnixTime.parse(expiryText),
            self.mac.verify([.text(tokenSubject), .integer(expiry)], base64URL: macText)
        else {
            return .invalid
        }
        // Bytes, not `String ==`: canonically equivalent but different subjects must not match.
        if let subject, !subject.utf8.elementsEqual(tokenSubject.utf8) {
            return .wrongSubject
        }
        guard UnixTime.seconds(now.timeIntervalSince1970) < expiry else {
            return .expired
        }
        return .valid(subject: tokenSubject, expires: Date(timeIntervalSince1970: TimeInterval(expiry)))
    }
}
