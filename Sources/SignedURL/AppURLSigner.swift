import Foundation

/// The outcome of checking an app-signed URL.
public enum AppSignatureCheck: Sendable, Hashable {
    /// The signature is ours and has not expired; `subject` is the signed subject, if one was signed.
    case valid(subject: String?)
    /// The signature is ours but the URL's time is up.
    case expired
    /// The signature is missing, malformed, or was not made by us for this method, path and subject.
    case invalid
}

/// Signs URLs that the server itself checks: downloads from the local storage backend and other
/// links that must work without a session for a limited time.
///
/// The signature is the base64url HMAC-SHA256, under a key derived from the server secret for this
/// purpose only, of the method, the path, the expiry (Unix seconds) and the optional subject (e.g.
/// the user or licence a download is for), each field length-prefixed so none can bleed into another.
///
/// Sign and verify the same form of the path; the percent-encoded path as it appears in the request
/// line is the safe choice.
public struct AppURLSigner: Sendable {
    /// The query parameter that carries the expiry, in Unix seconds.
    public static let expiresParameter = "expires"
    /// The query parameter that carries the subject, when one was signed.
    public static let subjectParameter = "subject"
    /// The query parameter that carries the signature.
    public static let signatureParameter = "signature"

    private let mac: FieldMAC

    /// Creates a signer.
    ///
    /// - Parameter secret: The server secret; use at least 32 random bytes. Changing it invalidates
    ///   every URL signed so far.
    public init(secret: [UInt8]) {
        self.mac = FieldMAC(secret: secret, purpose: "veza-media/app-url/v1")
    }

    /// Signs a URL.
    ///
    /// - Parameters:
    ///   - method: The HTTP method the URL is for (compared case-insensitively).
    ///   - path: The path the URL is for.
    ///   - expires: When the URL stops working; rounded down to whole seconds.
    ///   - subject: Who or what the URL is for, or `nil`; it is returned by ``verify(method:path:query:now:)``.
    /// - Returns: The query items to append, unencoded: `expires`, `subject` (when not `nil`) and
    ///   `signature`. Percent-encode the values (e.g. with ``AWSURIEncoding/encode(_:)``) when building
    ///   the URL; `expires` and `signature` never need it.
    public func sign(method: String, path: String, expires: Date, subject: String?) -> [(name: String, value: String)] {
        let expiry = UnixTime.seconds(expires.timeIntervalSince1970)
        let signature = Base64URL.encode(self.mac.authenticate(Self.fields(method, path, expiry, subject)))
        var items: [(name: String, value: String)] = [(Self.expiresParameter, String(expiry))]
        if let subject {
            items.append((Self.subjectParameter, subject))
        }
        items.append((Self.signatureParameter, signature))
        return items
    }

    /// Checks a signed URL.
    ///
    /// The signature is checked before the expiry, so a forged URL is `.invalid` whatever its time. A
    /// `HEAD` request is also accepted with a URL signed for `GET`, as players probe with `HEAD`.
    ///
    /// - Parameters:
    ///   - method: The request's method.
    ///   - path: The request's path, in the same form that was signed.
    ///   - query: The request's query parameters, percent-decoded.
    ///   - now: The current time; the URL is expired from its `expires` second on.
    /// - Returns: `.valid(subject:)`, `.expired` or `.invalid`.
    public func verify(method: String, path: String, query: [String: String], now: Date) -> AppSignatureCheck {
        guard let expiresText = query[Self.expiresParameter], let expiry = UnixTime.parse(expiresText),
            let signature = query[Self.signatureParameter]
        else {
            return .invalid
        }
        let subject = query[Self.subjectParameter]
        var authentic = self.mac.verify(Self.fields(method, path, expiry, subject), base64URL: signature)
        if !authentic && method.uppercased() == "HEAD" {
            authentic = self.mac.verify(Self.fields("GET", path, expiry, subject), base64URL: signature)
        }
        guard authentic else {
            return .invalid
        }
        guard UnixTime.seconds(now.timeIntervalSince1970) < expiry else {
            return .expired
        }
        return .valid(subject: subject)
    }

    private static func fields(
        _ method: String,
        _ path: String,
        _ expiry: Int64,
        _ subject: String?
    ) -> [FieldMAC.Field] {
        [.text(method.uppercased()), .text(path), .integer(expiry), .optionalText(subject)]
    }
}
