import Foundation
import SignedURL

extension S3Store {
    /// A SigV4 presigned URL for `GET` or `HEAD` of one object.
    ///
    /// The URL carries `response-content-disposition` (signed with it) when given, so a download
    /// gets a file name. S3 refuses the URL for any other method, after it expires, and when any
    /// part of it is changed.
    public func signedURL(
        method: SignedURLMethod,
        key: String,
        expires: Duration,
        responseContentDisposition: String?,
        date: Date
    ) throws -> String {
        try ObjectKey.validate(key)
        var query: [(String, String)] = []
        if let responseContentDisposition {
            query.append(("response-content-disposition", responseContentDisposition))
        }
        let seconds = Int(expires.components.seconds)
        do {
            let cacheKey = PresignedURLCache.Key(
                method: method.rawValue,
                key: key,
                seconds: seconds,
                disposition: responseContentDisposition
            )
            return try self.presigned.url(for: cacheKey, at: date) {
                try self.signer.presignedURL(
                    method: method.rawValue,
                    url: self.url(key: key, query: query),
                    expires: seconds,
                    date: date
                )
            }
        } catch {
            throw StorageError.invalidArgument.with(
                message: "Cannot presign \(method.rawValue) for \(seconds) s: \(error) (1 s to 7 days).",
                key: key
            )
        }
    }
}

/// An app-signed object URL that checked out.
