import Foundation

/// Signs requests with AWS Signature Version 4, by header (`Authorization`) or by query (presigned
/// URLs), following S3's rules: the path is not normalised and every path segment is encoded once.
///
/// The signer is a cheap value; derived signing keys are cached process-wide per
/// (date, region, service, secret), so signing is a few hashes and one HMAC.
///
/// URLs passed in must already be encoded by the SigV4 rules (build them with ``AWSURIEncoding``).
/// To be safe against a sloppy caller the path and query are put into canonical form again before
/// signing (a `%7e` becomes `~`, a raw space `%20`), which is a no-op for a correctly built URL.
public struct SigV4Signer: Sendable {
    /// The credentials that sign.
    public let credentials: AWSCredentials
    /// The region of the credential scope, e.g. `us-east-1`.
    public let region: String
    /// The service of the credential scope, e.g. `s3`.
    public let service: String

    let keyCache: SigningKeyCache

    /// The longest validity SigV4 allows a presigned URL: seven days.
    public static let maximumExpires = 604_800

    /// Creates a signer.
    ///
    /// - Parameters:
    ///   - credentials: The access key, secret and optional session token.
    ///   - region: The region, e.g. `us-east-1` (MinIO and SeaweedFS accept `us-east-1`).
    ///   - service: The service name of the credential scope; `s3` unless signing for another service.
    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.init(credentials: credentials, region: region, service: service, keyCache: .shared)
    }

    init(credentials: AWSCredentials, region: String, service: String, keyCache: SigningKeyCache) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.keyCache = keyCache
    }

    /// Signs a request with the `Authorization` header.
    ///
    /// Every header in `headers` is signed (an `authorization` header there is ignored), so pass only
    /// headers that no proxy will change. When `headers` has no `host`, it is derived from the URL's
    /// authority (`host[:port]`, the port left out when it is the scheme's default).
    ///
    /// - Parameters:
    ///   - method: The HTTP method, e.g. `GET`.
    ///   - url: The absolute URL; its path and query already percent-encoded by the SigV4 rules.
    ///   - headers: The headers the request will carry and that are to be signed.
    ///   - payload: The body's hash, or ``PayloadHash/unsigned``.
    ///   - date: The signing time; the server rejects signatures more than 15 minutes off its clock.
    ///   - includeContentSHA256Header: Whether to send and sign `x-amz-content-sha256`. S3 requires it;
    ///     other services (and the generic AWS test suite) do not use it.
    /// - Returns: The headers to add to the request: `x-amz-date`, `x-amz-content-sha256` (when
    ///   asked for), `x-amz-security-token` (with a session token) and `authorization`.
    public func signedHeaders(
        method: String,
        url: String,
        headers: [(name: String, value: String)],
        payload: PayloadHash,
        date: Date,
        includeContentSHA256Header: Bool = true
    ) -> [(name: String, value: String)] {
        self.signHeaders(
            method: method,
            url: url,
            headers: headers,
            payload: payload,
            date: date,
            includeContentSHA256Header: includeContentSHA256Header
        ).headersToAdd
    }

    /// Makes a presigned URL (authentication in the query string).
    ///
    /// The result is the URL's scheme and authority, its canonical path and the canonical query
    /// (the URL's own parameters and the `X-Amz-*` ones, sorted), then `X-Amz-Signature`. Parameters
    /// such as `response-content-disposition` can be put in the URL and are signed with it.
    ///
    /// - Parameters:
    ///   - method: The method the URL will be used with (`GET`, `HEAD`, `PUT`, …).
    ///   - url: The absolute URL; its path and query already percent-encoded by the SigV4 rules.
    ///   - expires: Seconds the URL stays valid, 1...604800.
    ///   - date: The signing time (`X-Amz-Date`); validity runs from then.
    ///   - additionalSignedHeaders: Headers besides `host` that the user of the URL must send
    ///     exactly, e.g. `content-type` for a presigned upload.
    ///   - payload: The body's hash; ``PayloadHash/unsigned`` (the default) as S3 expects.
    /// - Returns: The presigned URL.
    /// - Throws: ``SigV4Error/expiresOutOfRange`` when `expires` is outside 1...604800, and
    ///   ``SigV4Error/invalidURL`` when the URL has no scheme and host.
    public func presignedURL(
        method: String,
        url: String,
        expires: Int,
        date: Date,
        additionalSignedHeaders: [(name: String, value: String)] = [],
        payload: PayloadHash = .unsigned
    ) throws -> String {
        try self.presign(
            method: method,
            url: url,
            expires: expires,
            date: date,
            additionalSignedHeaders: additionalSignedHeaders,
            payload: payload
        ).url
    }
}

extension SigV4Signer {
    private static let queryAuthParameters: Set<String> = [
        "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
        "X-Amz-Security-Token", "X-Amz-Signature",
    ]

    func signHeaders(
        method: String,
        url: String,
        headers: [(name: String, value: String)],
        payload: PayloadHash,
        date: Date,
        includeContentSHA256Header: Bool
    ) -> (signing: Signing, headersToAdd: [(name: String, value: String)]) {
        let parsed = RequestURL(url)
        let stamp = AmzDate.Stamp(date)

        var added: [(name: String, value: String)] = [("x-amz-date", stamp.timestamp)]
        if includeContentSHA256Header {
            added.append(("x-amz-content-sha256", payload.value))
        }
        if let token = self.credentials.sessionToken {
            added.append(("x-amz-security-token", token))
        }

        // What we add replaces anything of the same name the caller passed, so nothing is sent twice.
        let replaced = Set(added.map(\.name)).union(["authorization"])
        var toSign = headers.filter { !replaced.contains(CanonicalHeaders.normalizeName($0.name)) }
        if let host = parsed.hostHeader,
            !toSign.contains(where: { CanonicalHeaders.normalizeName($0.name) == "host" })
        {
            toSign.append(("host", host))
        }
        toSign += added

        let query = parsed.query.map { AWSURIEncoding.canonicalPairs(fromEncodedQuery: $0) } ?? []
        let signing = self.sign(
            method: method,
            canonicalURI: parsed.canonicalURI,
            canonicalQuery: AWSURIEncoding.joinSorted(query),
            headers: CanonicalHeaders(toSign),
            payload: payload,
            stamp: stamp
        )
        let authorization =
            "\(Self.algorithm) Credential=\(self.credentials.accessKeyID)/\(self.credentialScope(stamp)), "
            + "SignedHeaders=\(signing.signedHeaders), Signature=\(signing.signature)"
        added.append(("authorization", authorization))
        return (signing, added)
    }

    func presign(
        method: String,
        url: String,
        expires: Int,
        date: Date,
        additionalSignedHeaders: [(name: String, value: String)],
        payload: PayloadHash
    ) throws -> (signing: Signing, url: String) {
        guard (1...Self.maximumExpires).contains(expires) else {
            throw SigV4Error.expiresOutOfRange(expires)
        }
        let parsed = RequestURL(url)
        guard let host = parsed.hostHeader else {
            throw SigV4Error.invalidURL(url)
        }
        let stamp = AmzDate.Stamp(date)

        var headersToSign = additionalSignedHeaders
        if !headersToSign.contains(where: { CanonicalHeaders.normalizeName($0.name) == "host" }) {
            headersToSign.append(("host", host))
        }
        let headers = CanonicalHeaders(headersToSign)

        // Parameters of an earlier presign would be signed twice; drop them.
        var query = (parsed.query.map { AWSURIEncoding.canonicalPairs(fromEncodedQuery: $0) } ?? [])
            .filter { !Self.queryAuthParameters.contains($0.0) }
        query.append(("X-Amz-Algorithm", Self.algorithm))
        query.append(
            (
                "X-Amz-Credential",
                AWSURIEncoding.encode("\(self.credentials.accessKeyID)/\(self.credentialScope(stamp))")
            )
        )
        query.append(("X-Amz-Date", stamp.timestamp))
        query.append(("X-Amz-Expires", String(expires)))
        query.append(("X-Amz-SignedHeaders", AWSURIEncoding.encode(headers.signedHeaders)))
        if let token = self.credentials.sessionToken {
            query.append(("X-Amz-Security-Token", AWSURIEncoding.encode(token)))
        }
        let canonicalQuery = AWSURIEncoding.joinSorted(query)
        let canonicalURI = parsed.canonicalURI

        let signing = self.sign(
            method: method,
            canonicalURI: canonicalURI,
            canonicalQuery: canonicalQuery,
            headers: headers,
            payload: payload,
            stamp: stamp
        )
        var presigned = String(parsed.origin)
        presigned.reserveCapacity(presigned.utf8.count + canonicalURI.utf8.count + canonicalQuery.utf8.count + 90)
        presigned += canonicalURI
        presigned += "?"
        presigned += canonicalQuery
        presigned += "&X-Amz-Signature="
        presigned += signing.signature
        return (signing, presigned)
    }
}
