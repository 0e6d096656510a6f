import Foundation
import SignedURL

public struct VerifiedObjectURL: Sendable, Hashable {
    /// The object key.
    public var key: String
    /// The `Content-Disposition` to answer with, when the URL was signed with one.
    public var responseContentDisposition: String?
}

extension FileSystemStore {
    /// An app-signed path to one object, served by the app:
    /// `<signedURLBasePath>/<key, percent-encoded>?expires=…[&subject=…]&signature=…`.
    ///
    /// The content disposition, when given, is the signed subject, so it cannot be changed.
    /// Check incoming requests with ``verifySignedURL(method:path:query:now:)``.
    ///
    /// - Throws: ``StorageError/unsupported`` when the store has no signing secret.
    public func signedURL(
        method: SignedURLMethod,
        key: String,
        expires: Duration,
        responseContentDisposition: String?,
        date: Date
    ) throws -> String {
        try ObjectKey.validate(key)
        let signer = try self.urlSigner()
        let path = self.signedPath(for: key)
        let expiry = date.addingTimeInterval(Double(expires.components.seconds))
        let items = signer.sign(
            method: method.rawValue,
            path: path,
            expires: expiry,
            subject: responseContentDisposition
        )
        return path + "?" + items.map { "\($0.name)=\(AWSURIEncoding.encode($0.value))" }.joined(separator: "&")
    }

    /// Checks a request for an app-signed object URL.
    ///
    /// A `HEAD` is accepted with a URL signed for `GET`, as players probe with `HEAD`.
    ///
    /// - Parameters:
    ///   - method: The request method.
    ///   - path: The request path, percent-encoded as in the request line.
    ///   - query: The query parameters, percent-decoded.
    ///   - now: The current time.
    /// - Returns: The key and the content disposition to answer with.
    /// - Throws: ``StorageError/accessDenied`` for a bad or expired signature, ``StorageError/invalidKey``.
    public func verifySignedURL(
        method: String,
        path: String,
        query: [String: String],
        now: Date = Date()
    ) throws -> VerifiedObjectURL {
        let base = self.configuration.signedURLBasePath + "/"
        guard path.hasPrefix(base), let key = String(path.dropFirst(base.count)).removingPercentEncoding else {
            throw StorageError.accessDenied.with(message: "The path is not an object URL.")
        }
        try ObjectKey.validate(key)
        // Verify against the canonical encoding, so a client's equivalent encoding (`%7E` for `~`) passes.
        let canonicalPath = self.signedPath(for: key)
        switch try self.urlSigner().verify(method: method, path: canonicalPath, query: query, now: now) {
        case .valid(let subject):
            return VerifiedObjectURL(key: key, responseContentDisposition: subject)
        case .expired:
            throw StorageError.accessDenied.with(message: "The signed URL has expired.", key: key)
        case .invalid:
            throw StorageError.accessDenied.with(message: "The URL signature is invalid.", key: key)
        }
    }

    func signedPath(for key: String) -> String {
        self.configuration.signedURLBasePath + "/" + AWSURIEncoding.encodePath(key)
    }

    func urlSigner() throws -> AppURLSigner {
        guard let secret = self.configuration.urlSigningSecret, !secret.isEmpty else {
            throw StorageError.unsupported.with(message: "The file-system store has no URL signing secret.")
        }
        return AppURLSigner(secret: secret)
    }
}
