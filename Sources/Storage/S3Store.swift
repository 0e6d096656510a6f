import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Retry
import SignedURL

/// An ``ObjectStore`` on an S3-compatible service (AWS S3, MinIO, SeaweedFS) over AsyncHTTPClient.
///
/// Bodies stream both ways with backpressure: uploads of known length are one PUT with
/// `UNSIGNED-PAYLOAD`; uploads of unknown length go through ``ObjectStore/uploadInParts(key:from:partSize:concurrency:options:)``;
/// `get` returns the response body as it arrives. Requests are signed with SigV4; failures become
/// ``StorageError``s carrying the S3 code, message and request id; idempotent requests with a
/// replayable body are retried per ``RetryPolicy``.
public struct S3Store: ObjectStore {
    /// How objects are addressed.
    public enum AddressingStyle: Sendable, Hashable {
        /// `https://endpoint/bucket/key` (SeaweedFS, MinIO).
        case path
        /// `https://bucket.endpoint/key` (AWS).
        case virtualHosted
    }

    /// Timeouts for S3 requests.
    public struct Timeouts: Sendable, Hashable {
        /// Establishing a connection.
        public var connect: Duration
        /// The longest silence while reading or writing on a connection (only for a client the store owns).
        public var idle: Duration
        /// Until the response head of a request without a body.
        public var request: Duration
        /// Until the response head of a request with a body (the upload included).
        public var upload: Duration

        /// Creates timeouts.
        public init(
            connect: Duration = .seconds(10),
            idle: Duration = .seconds(60),
            request: Duration = .seconds(30),
            upload: Duration = .seconds(900)
        ) {
            self.connect = connect
            self.idle = idle
            self.request = request
            self.upload = upload
        }
    }

    /// Where the store is and how it behaves.
    public struct Configuration: Sendable {
        /// The service URL, e.g. `http://127.0.0.1:8333` or `https://s3.eu-west-1.amazonaws.com`.
        public var endpoint: String
        /// The signing region, e.g. `us-east-1`.
        public var region: String
        /// The bucket.
        public var bucket: String
        /// The access key and secret.
        public var credentials: AWSCredentials
        /// Path style (default) or virtual-hosted style.
        public var addressingStyle: AddressingStyle
        /// Timeouts.
        public var timeouts: Timeouts
        /// Retries of idempotent requests.
        public var retry: RetryPolicy
        /// Keys per ListObjectsV2 page, 1…1000 (a small value tests paging cheaply).
        public var listPageSize: Int
        /// Part size for uploads of unknown length (default 10 MiB).
        public var partSize: Int
        /// Parts in flight for uploads of unknown length (default 3).
        public var partConcurrency: Int

        /// Creates a configuration.
        public init(
            endpoint: String,
            region: String = "us-east-1",
            bucket: String,
            credentials: AWSCredentials,
            addressingStyle: AddressingStyle = .path,
            timeouts: Timeouts = Timeouts(),
            retry: RetryPolicy = .s3,
            listPageSize: Int = 1000,
            partSize: Int = 10 * 1024 * 1024,
            partConcurrency: Int = 3
        ) {
            self.endpoint = endpoint
            self.region = region
            self.bucket = bucket
            self.credentials = credentials
            self.addressingStyle = addressingStyle
            self.timeouts = timeouts
            self.retry = retry
            self.listPageSize = listPageSize
            self.partSize = partSize
            self.partConcurrency = partConcurrency
        }
    }

    /// The configuration.
    public let configuration: Configuration
    let endpoint: S3Endpoint
    let httpClient: HTTPClient
    let ownsHTTPClient: Bool
    let signer: SigV4Signer
    /// This second's presigned URLs (``signedURL(method:key:expires:responseContentDisposition:date:)``).
    let presigned = PresignedURLCache()
    let logger: Logger

    /// Creates a store.
    ///
    /// - Parameters:
    ///   - configuration: Endpoint, bucket, credentials and options.
    ///   - httpClient: A shared client; when nil the store creates one, and ``shutdown()`` must be called.
    ///   - logger: For retries and warnings.
    /// - Throws: ``StorageError/invalidArgument`` for a malformed endpoint.
    public init(
        configuration: Configuration,
        httpClient: HTTPClient? = nil,
        logger: Logger = Logger(label: "veza.storage.s3")
    )
        throws
    {
        self.configuration = configuration
        self.endpoint = try S3Endpoint(configuration.endpoint)
        if let httpClient {
            self.httpClient = httpClient
            self.ownsHTTPClient = false
        } else {
            var clientConfiguration = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(
                    connect: configuration.timeouts.connect.timeAmount,
                    read: configuration.timeouts.idle.timeAmount,
                    write: configuration.timeouts.idle.timeAmount
                )
            )
            clientConfiguration.decompression = .disabled
            self.httpClient = HTTPClient(
                eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                configuration: clientConfiguration
            )
            self.ownsHTTPClient = true
        }
        self.signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region)
        self.logger = logger
    }

    /// Shuts down the HTTP client if the store created it; a shared client is left alone.
    public func shutdown() async throws {
        if self.ownsHTTPClient { try await self.httpClient.shutdown() }
    }

    // MARK: - Objects

    public func put(key: String, body: ObjectBody, options: PutOptions) async throws -> PutResult {
        try ObjectKey.validate(key)
        guard let length = body.length, length <= MultipartLimits.maximumPartSize else {
            return try await self.uploadInParts(
                key: key,
                body: body,
                partSize: self.configuration.partSize,
                concurrency: self.configuration.partConcurrency,
                options: options
            )
        }
        var headers: [(String, String)] = []
        if let contentType = options.contentType { headers.append(("content-type", contentType)) }
        let response = try await self.send(
            S3Operation(name: "PutObject", method: "PUT", key: key, headers: headers, body: body, isIdempotent: true)
        )
        _ = try? await response.body.collect(upTo: S3XML.maximumBodySize)
        return PutResult(key: key, etag: response.headers.first(name: "etag")?.unquotedETag ?? "")
    }

    public func get(key: String, range: ByteRange?) async throws -> ObjectResponse {
        try ObjectKey.validate(key)
        let headers = range.map { [("range", $0.httpHeaderValue)] } ?? []
        let response = try await self.send(
            S3Operation(name: "GetObject", method: "GET", key: key, headers: headers, isIdempotent: true)
        )
        let length = response.headers.first(name: "content-length").flatMap { Int64($0) } ?? 0
        var contentRange: ClosedRange<Int64>? = nil
        var size = length
        if response.status.code == 206, let header = response.headers.first(name: "content-range"),
            let parsed = Self.parseContentRange(header)
        {
            contentRange = parsed.range
            size = parsed.size
        }
        let info = Self.objectInfo(key: key, response: response, size: size)
        let operationName = "GetObject"
        let body = response.body.mapErrors { StorageError.transport($0, operation: operationName, key: key) ?? $0 }
        return ObjectResponse(info: info, contentRange: contentRange, body: ObjectByteStream(body))
    }

    public func head(key: String) async throws -> ObjectInfo? {
        try ObjectKey.validate(key)
        do {
            let response = try await self.send(
                S3Operation(name: "HeadObject", method: "HEAD", key: key, isIdempotent: true)
            )
            let size = response.headers.first(name: "content-length").flatMap { Int64($0) } ?? 0
            return Self.objectInfo(key: key, response: response, size: size)
        } catch let error as StorageError where error == .noSuchKey {
            return nil
        }
    }

    public func delete(key: String) async throws {
        try ObjectKey.validate(key)
        do {
            let response = try await self.send(
                S3Operation(name: "DeleteObject", method: "DELETE", key: key, isIdempotent: true)
            )
            _ = try? await response.body.collect(upTo: S3XML.maximumBodySize)
        } catch let error as StorageError where error == .noSuchKey {
            return
        }
    }

    public func list(prefix: String) -> ObjectListing {
        let store = self
        return ObjectListing {
            { token in
                try ObjectKey.validatePrefix(prefix)
                var query = [("list-type", "2"), ("max-keys", String(store.configuration.listPageSize))]
                if !prefix.isEmpty { query.append(("prefix", prefix)) }
                if let token { query.append(("continuation-token", token)) }
                let (_, body) = try await store.sendCollecting(
                    S3Operation(name: "ListObjectsV2", method: "GET", key: nil, query: query, isIdempotent: true)
                )
                let document = try S3XML.parse(body)
                let objects = try document.children("Contents").map { entry in
                    guard let key = entry.value("Key"), let size = entry.value("Size").flatMap({ Int64($0) }) else {
                        throw StorageError.unexpectedResponse.with(
                            message: "ListObjectsV2 sent an entry without Key or Size."
                        )
                    }
                    return ObjectInfo(
                        key: key,
                        size: size,
                        etag: entry.value("ETag")?.unquotedETag ?? "",
                        lastModified: entry.value("LastModified").flatMap(S3Date.parseISO8601)
                            ?? Date(timeIntervalSince1970: 0)
                    )
                }
                let truncated = document.value("IsTruncated") == "true"
                let next = truncated ? document.value("NextContinuationToken") : nil
                if truncated && next == nil {
                    throw StorageError.unexpectedResponse.with(
                        message: "ListObjectsV2 was truncated without a continuation token."
                    )
                }
                return ObjectPage(objects: objects, nextToken: next)
            }
        }
    }

    public func checkHealth() async throws {
        _ = try await self.send(
            S3Operation(name: "HeadBucket", method: "HEAD", key: nil, isIdempotent: true, notFound: .noSuchBucket)
        )
    }

    /// Objects live in the bucket, never in a local file: nil, callers presign instead.
    public func localPath(for key: String) throws -> String? {
        try ObjectKey.validate(key)
        return nil
    }

    /// Creates the bucket unless it exists already (for tests and start-up).
    public func createBucketIfNeeded() async throws {
        do {
            try await self.checkHealth()
            return
        } catch let error as StorageError where error == .noSuchBucket {}
        let body: ObjectBody? =
            self.configuration.region == "us-east-1"
            ? nil : .bytes(S3XML.createBucketConfiguration(region: self.configuration.region))
        do {
            let response = try await self.send(
                S3Operation(name: "CreateBucket", method: "PUT", key: nil, body: body, isIdempotent: true)
            )
            _ = try? await response.body.collect(upTo: S3XML.maximumBodySize)
        } catch let error as StorageError
            where error.s3Code == "BucketAlreadyOwnedByYou" || error.s3Code == "BucketAlreadyExists"
        {
            return
        }
    }

    /// Parses `bytes first-last/size`.
    static func parseContentRange(_ header: String) -> (range: ClosedRange<Int64>, size: Int64)? {
        guard header.hasPrefix("bytes ") else { return nil }
        let parts = header.dropFirst(6).split(separator: "/")
        guard parts.count == 2, let size = Int64(parts[1]) else { return nil }
        let bounds = parts[0].split(separator: "-")
        guard bounds.count == 2, let first = Int64(bounds[0]), let last = Int64(bounds[1]), first <= last else {
            return nil
        }
        return (first...last, size)
    }
}
