import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import SignedURL
import Storage

/// Builds the object store the configuration asks for, and the secret of app-signed URLs.
enum ObjectStoreFactory {
    /// - Parameters:
    ///   - configuration: The validated configuration.
    ///   - httpClient: Shared by the S3 client (and later the payment clients).
    ///   - urlSecret: The secret for app-signed object URLs of the local store.
    static func store(
        configuration: AppConfiguration,
        httpClient: HTTPClient,
        urlSecret: [UInt8],
        logger: Logger
    ) throws -> any ObjectStore {
        switch configuration.storageBackend {
        case .local:
            return FileSystemStore(
                configuration: .init(
                    root: (configuration.dataDirectory as NSString).appendingPathComponent("objects"),
                    urlSigningSecret: urlSecret
                ),
                logger: logger
            )
        case .s3:
            guard let s3 = configuration.s3 else {
                throw ConfigurationError.missing("S3_ENDPOINT", because: "when TRACK_STORAGE_BACKEND=s3")
            }
            return try S3Store(
                configuration: .init(
                    endpoint: s3.endpoint,
                    region: s3.region,
                    bucket: s3.bucket,
                    credentials: AWSCredentials(accessKeyID: s3.accessKeyID, secretAccessKey: s3.secretAccessKey)
                ),
                httpClient: httpClient,
                logger: logger
            )
        }
    }

    /// A secret for app-signed URLs, derived from the token secret so operators manage one secret;
    /// the derivation label keeps a URL signature from ever being usable as a token signature.
    static func urlSecret(fromTokenSecret secret: String) -> [UInt8] {
        let key = SymmetricKey(data: Data(secret.utf8))
        return Array(HMAC<SHA256>.authenticationCode(for: Data("veza/app-signed-urls/v1".utf8), using: key))
    }
}
