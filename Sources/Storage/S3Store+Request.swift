import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import SignedURL

/// One S3 API call, before signing.
struct S3Operation: Sendable {
    /// For logs and error messages, e.g. `GetObject`.
    var name: String
    /// `GET`, `PUT`, …
    var method: String
    /// The object key, or nil for a bucket-level call.
    var key: String?
    /// Query parameters, unencoded.
    var query: [(String, String)] = []
    /// Extra headers to send and sign.
    var headers: [(String, String)] = []
    var body: ObjectBody?
    /// Whether repeating the call has the same effect as making it once.
    var isIdempotent: Bool
    /// A 404 without an S3 error code means this (e.g. HEAD of a missing object).
    var notFound: StorageError = .noSuchKey
}

extension S3Store {
    /// The URL of the bucket, or of an object in it, with the query; path and query SigV4-encoded.
    func url(key: String?, query: [(String, String)] = []) -> String {
        var url: String
        let encodedKey = key.map { "/" + AWSURIEncoding.encodePath($0) } ?? "/"
        switch self.configuration.addressingStyle {
        case .path:
            url = self.endpoint.base + "/" + AWSURIEncoding.encode(self.configuration.bucket)
            if key != nil { url += encodedKey }
        case .virtualHosted:
            url = self.endpoint.scheme + "://" + self.configuration.bucket + "." + self.endpoint.authority + encodedKey
        }
        if !query.isEmpty { url += "?" + AWSURIEncoding.canonicalQuery(query) }
        return url
    }

    /// Sends an operation, retrying transient failures when it is safe to, and returns a 2xx
    /// response whose body the caller must consume or drop.
    func send(_ operation: S3Operation) async throws -> HTTPClientResponse {
        let replayable = operation.body?.isReplayable ?? true
        let mayRetry = operation.isIdempotent && replayable
        // Hash an in-memory body once, not per attempt.
        let payload: PayloadHash
        switch operation.body?.storage {
        case .none: payload = .empty
        case .buffer(let buffer):
            var hasher = SHA256()
            buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            payload = .sha256(hex: hasher.finalize().hex)
        case .stream, .file: payload = .unsigned
        }
        var attempt = 0
        while true {
            attempt += 1
            let failure: StorageError
            do {
                let response = try await self.sendOnce(operation, payload: payload)
                if (200..<300).contains(response.status.code) { return response }
                failure = await self.error(from: response, operation: operation)
            } catch {
                guard let mapped = StorageError.transport(error, operation: operation.name, key: operation.key) else {
                    throw error
                }
                failure = mapped
            }
            guard mayRetry, failure.isTransient, self.configuration.retry.allowsRetry(afterAttempt: attempt) else {
                throw failure
            }
            let delay = self.configuration.retry.backoff.delay(afterAttempt: attempt)
            self.logger.debug(
                "Retrying S3 request",
                metadata: [
                    "s3.operation": "\(operation.name)", "s3.attempt": "\(attempt)",
                    "s3.delay_ms": "\(delay.nanoseconds / 1_000_000)", "s3.error": "\(failure)",
                ]
            )
            try await Task.sleep(for: delay)
        }
    }

    /// Sends an operation and reads its (small, XML) response body.
    func sendCollecting(_ operation: S3Operation) async throws -> (response: HTTPClientResponse, body: ByteBuffer) {
        let response = try await self.send(operation)
        do {
            let body = try await response.body.collect(upTo: S3XML.maximumBodySize)
            return (response, body)
        } catch {
            throw StorageError.transport(error, operation: operation.name, key: operation.key) ?? error
        }
    }

    private func sendOnce(_ operation: S3Operation, payload: PayloadHash) async throws -> HTTPClientResponse {
        let url = self.url(key: operation.key, query: operation.query)
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: operation.method)
        var signed = operation.headers.map { (name: $0.0, value: $0.1) }
        let authorization = self.signer.signedHeaders(
            method: operation.method,
            url: url,
            headers: signed,
            payload: payload,
            date: Date()
        )
        signed += authorization
        for header in signed { request.headers.add(name: header.name, value: header.value) }
        let timeout: Duration
        switch operation.body?.storage {
        case .none:
            timeout = self.configuration.timeouts.request
        case .buffer(let buffer):
            request.body = .bytes(buffer)
            timeout = self.configuration.timeouts.upload
        case .stream(let stream, let length):
            request.body = .stream(stream, length: length.map { .known($0) } ?? .unknown)
            timeout = self.configuration.timeouts.upload
        case .file(_, let range, _, _):
            // A fresh pass over the file for every attempt.
            request.body = .stream(operation.body!.byteStream, length: .known(Int64(range.count)))
            timeout = self.configuration.timeouts.upload
        }
        return try await self.httpClient.execute(request, timeout: timeout.timeAmount, logger: self.logger)
    }

    /// The error an unsuccessful response stands for, from its XML body when there is one.
    func error(from response: HTTPClientResponse, operation: S3Operation) async -> StorageError {
        let body = try? await response.body.collect(upTo: S3XML.maximumBodySize)
        let document = body.flatMap { $0.readableBytes > 0 ? try? S3XML.parse($0) : nil }
        return Self.error(
            status: Int(response.status.code),
            document: document,
            headerRequestID: response.headers.first(name: "x-amz-request-id"),
            operation: operation
        )
    }

    static func error(status: Int, document: XMLNode?, headerRequestID: String?, operation: S3Operation) -> StorageError
    {
        let code = document?.name == "Error" ? document?.value("Code") : nil
        let message = document?.value("Message")
        var error: StorageError
        switch code {
        case "NoSuchKey": error = .noSuchKey
        case "NoSuchUpload": error = .noSuchUpload
        case "NoSuchBucket": error = .noSuchBucket
        case "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "ExpiredToken", "InvalidToken",
            "AuthorizationQueryParametersError", "RequestTimeTooSkewed", "MissingSecurityHeader":
            error = .accessDenied
        case "EntityTooSmall": error = .entityTooSmall
        case "EntityTooLarge": error = .entityTooLarge
        case "InvalidPart": error = .invalidPart
        case "InvalidPartOrder": error = .invalidPartOrder
        case "InvalidRange": error = .invalidRange
        case "KeyTooLongError": error = .invalidKey
        case "SlowDown", "Throttling", "ThrottlingException", "TooManyRequests", "RequestLimitExceeded":
            error = .throttled
        case "InternalError", "ServiceUnavailable": error = .unavailable
        case "InvalidArgument", "MalformedXML", "InvalidRequest", "InvalidDigest", "IncompleteBody",
            "MissingContentLength":
            error = .invalidArgument
        default:
            switch status {
            case 404: error = operation.notFound
            case 401, 403: error = .accessDenied
            case 416: error = .invalidRange
            case 429: error = .throttled
            case 500...599: error = .unavailable
            case 400..<500: error = .invalidArgument
            default: error = .unexpectedResponse
            }
        }
        return error.with(
            message: message.map { "\(operation.name): \($0)" }
                ?? "\(operation.name) failed with HTTP \(status): \(error.message)",
            s3Code: code,
            requestID: headerRequestID ?? document?.value("RequestId"),
            httpStatus: status,
            key: operation.key
        )
    }

    /// The object description in the headers of a GET or HEAD response.
    static func objectInfo(key: String, response: HTTPClientResponse, size: Int64) -> ObjectInfo {
        let headers = response.headers
        return ObjectInfo(
            key: key,
            size: size,
            etag: headers.first(name: "etag")?.unquotedETag ?? "",
            lastModified: headers.first(name: "last-modified").flatMap(S3Date.parseHTTP)
                ?? Date(timeIntervalSince1970: 0),
            contentType: headers.first(name: "content-type")
        )
    }
}

/// The parts of an endpoint URL.
struct S3Endpoint: Sendable {
    /// `http` or `https`.
    var scheme: String
    /// `host[:port]`.
    var authority: String
    /// `scheme://authority` plus any path prefix, without a trailing slash.
    var base: String

    init(_ endpoint: String) throws {
        guard let schemeEnd = endpoint.range(of: "://") else {
            throw StorageError.invalidArgument.with(
                message: "The S3 endpoint \(endpoint) has no scheme (http:// or https://)."
            )
        }
        self.scheme = String(endpoint[..<schemeEnd.lowerBound]).lowercased()
        guard self.scheme == "http" || self.scheme == "https" else {
            throw StorageError.invalidArgument.with(message: "The S3 endpoint \(endpoint) is not http or https.")
        }
        var rest = endpoint[schemeEnd.upperBound...]
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        self.authority = String(rest[..<authorityEnd])
        guard !self.authority.isEmpty else {
            throw StorageError.invalidArgument.with(message: "The S3 endpoint \(endpoint) has no host.")
        }
        self.base = self.scheme + "://" + rest
    }
}
