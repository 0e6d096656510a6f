import Foundation

/// An object store: S3 (``S3Store``) or a directory on local disk (``FileSystemStore``).
///
/// Both implementations have the same semantics, checked by one test suite: keys follow
/// ``ObjectKey``; bodies stream in both directions; errors are ``StorageError``s; ETags follow S3
/// (hex MD5 of the content, or MD5 of the part MD5s with a `-N` suffix after a multipart upload).
public protocol ObjectStore: Sendable {
    /// Writes an object, replacing any object with the same key.
    ///
    /// - Parameters:
    ///   - key: The object key.
    ///   - body: The content; a stream of unknown length is uploaded in parts by ``S3Store``.
    ///   - options: The content type.
    /// - Returns: The key and the new ETag.
    func put(key: String, body: ObjectBody, options: PutOptions) async throws -> PutResult

    /// Reads an object, or a byte range of it, as a stream.
    ///
    /// - Parameters:
    ///   - key: The object key.
    ///   - range: The bytes wanted, or nil for the whole object.
    /// - Returns: The object's description, the range served and the body.
    /// - Throws: ``StorageError/noSuchKey``, or ``StorageError/invalidRange`` when the range
    ///   starts at or after the end of the object.
    func get(key: String, range: ByteRange?) async throws -> ObjectResponse

    /// Describes an object.
    ///
    /// - Parameter key: The object key.
    /// - Returns: The object's description, or nil when there is no such object.
    func head(key: String) async throws -> ObjectInfo?

    /// Opens an object for serving ranges of it: its metadata now, its bytes on demand, both from
    /// the same version. The default asks ``head(key:)`` and reads with ``get(key:range:)``.
    ///
    /// - Parameters:
    ///   - key: The object key.
    ///   - readAhead: Given the metadata, the range the caller will read, if it knows; a store
    ///     that can reads it in the same step (``OpenedObject/read(_:)`` then returns it at once).
    /// - Returns: The opened object, or nil when there is no such object.
    func open(
        key: String,
        readAhead: (@Sendable (ObjectInfo) -> ClosedRange<Int64>?)?
    ) async throws -> OpenedObject?

    /// Deletes an object. Deleting a missing object succeeds.
    ///
    /// - Parameter key: The object key.
    func delete(key: String) async throws

    /// The objects whose keys start with `prefix`, fetched page by page as the sequence is iterated.
    ///
    /// - Parameter prefix: A key prefix (validated with ``ObjectKey/validatePrefix(_:)`` when the
    ///   iteration starts); empty for all objects.
    func list(prefix: String) -> ObjectListing

    /// Starts a multipart upload.
    ///
    /// - Parameters:
    ///   - key: The key of the object to assemble.
    ///   - options: The content type of the object.
    /// - Returns: The upload, to pass to the other multipart operations.
    func createMultipartUpload(key: String, options: PutOptions) async throws -> MultipartUpload

    /// Uploads one part. Uploading the same part number again replaces the part.
    ///
    /// - Parameters:
    ///   - upload: The upload.
    ///   - partNumber: 1 to 10 000.
    ///   - body: The part; its length must be known.
    /// - Returns: The part number and ETag to pass to ``completeMultipartUpload(_:parts:)``.
    func uploadPart(_ upload: MultipartUpload, partNumber: Int, body: ObjectBody) async throws -> CompletedPart

    /// Assembles the listed parts, in order, into the object.
    ///
    /// - Parameters:
    ///   - upload: The upload.
    ///   - parts: The parts in ascending part number order.
    /// - Returns: The key and the object's ETag.
    /// - Throws: ``StorageError/entityTooSmall`` when a part but the last is under 5 MiB,
    ///   ``StorageError/invalidPart``, ``StorageError/invalidPartOrder``, ``StorageError/noSuchUpload``.
    func completeMultipartUpload(_ upload: MultipartUpload, parts: [CompletedPart]) async throws -> PutResult

    /// Aborts an upload and deletes its parts. Aborting an upload that no longer exists succeeds.
    ///
    /// - Parameter upload: The upload.
    func abortMultipartUpload(_ upload: MultipartUpload) async throws

    /// The parts uploaded so far, in part number order.
    ///
    /// A part uploaded twice is listed once by S3 and the file-system store; SeaweedFS lists
    /// every upload of it (completion still uses the ETag given).
    ///
    /// - Parameter upload: The upload.
    /// - Throws: ``StorageError/noSuchUpload`` when the upload was completed, aborted or never existed.
    func listParts(_ upload: MultipartUpload) async throws -> [UploadedPart]

    /// The uploads in progress whose keys start with `prefix`, by key then initiation time.
    ///
    /// - Parameter prefix: A key prefix; empty for all uploads.
    func listMultipartUploads(prefix: String) async throws -> [MultipartUploadInfo]

    /// A URL that lets its holder read one object until it expires.
    ///
    /// ``S3Store`` returns an absolute SigV4 presigned URL; ``FileSystemStore`` returns an
    /// app-signed path (`/api/v1/objects/<key>?expires=…&signature=…`) served by the app.
    ///
    /// - Parameters:
    ///   - method: `GET` or `HEAD`; a URL signed for one method is refused for the other.
    ///   - key: The object key.
    ///   - expires: How long the URL stays valid (at most 7 days on S3).
    ///   - responseContentDisposition: A `Content-Disposition` for the response (downloads).
    ///   - date: The signing time; normally now.
    /// - Returns: The URL.
    func signedURL(
        method: SignedURLMethod,
        key: String,
        expires: Duration,
        responseContentDisposition: String?,
        date: Date
    ) throws -> String

    /// Checks that the store answers and the bucket or directory is usable (for `/health/deep`).
    func checkHealth() async throws

    /// The local file holding an object, for a store whose objects are files on this machine
    /// (FFmpeg then reads a source in place, and the stream server serves ranges itself).
    ///
    /// - Parameter key: The object key, validated like every other key.
    /// - Returns: The absolute path (the file may not exist), or nil when the store is remote (S3):
    ///   callers then presign a URL instead.
    func localPath(for key: String) throws -> String?
}

extension ObjectStore {
    /// Opens an object through ``head(key:)`` and ``get(key:range:)`` (no read-ahead).
    public func open(
        key: String,
        readAhead: (@Sendable (ObjectInfo) -> ClosedRange<Int64>?)?
    ) async throws -> OpenedObject? {
        try await self.openByHead(key: key)
    }

    /// Opens an object with no read-ahead.
    public func open(key: String) async throws -> OpenedObject? {
        try await self.open(key: key, readAhead: nil)
    }

    /// Writes an object with no content type.
    public func put(key: String, body: ObjectBody) async throws -> PutResult {
        try await self.put(key: key, body: body, options: PutOptions())
    }

    /// Reads a whole object as a stream.
    public func get(key: String) async throws -> ObjectResponse {
        try await self.get(key: key, range: nil)
    }

    /// Starts a multipart upload with no content type.
    public func createMultipartUpload(key: String) async throws -> MultipartUpload {
        try await self.createMultipartUpload(key: key, options: PutOptions())
    }

    /// A URL valid from now on for `expires`, without a content disposition.
    public func signedURL(method: SignedURLMethod, key: String, expires: Duration) throws -> String {
        try self.signedURL(method: method, key: key, expires: expires, responseContentDisposition: nil, date: Date())
    }

    /// Deletes every object whose key starts with `prefix`.
    ///
    /// - Parameter prefix: A key prefix, e.g. `hls/<track>/`. An empty prefix is refused.
    /// - Returns: The number of objects deleted.
    @discardableResult
    public func deleteAll(prefix: String) async throws -> Int {
        guard !prefix.isEmpty else {
            throw StorageError.invalidArgument.with(message: "deleteAll(prefix:) needs a non-empty prefix.")
        }
        // Collect first: deleting while paging could skip keys on some stores.
        let keys = try await self.list(prefix: prefix).collect().map(\.key)
        for key in keys { try await self.delete(key: key) }
        return keys.count
    }
}
