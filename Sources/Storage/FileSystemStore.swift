import Crypto
import Foundation
import Logging
import NIOCore
import NIOPosix
import SignedURL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An ``ObjectStore`` in a directory on local disk (the data dir's `objects/`).
///
/// - An object `a/b.m4a` is the file `<root>/a/b.m4a`; keys are validated by ``ObjectKey``, so no
///   key can reach outside the root.
/// - Writes go to a temporary file under `<root>/.veza/tmp/`, are `fsync`ed, then renamed into
///   place: readers see the old object or the new one, never a partial one.
/// - The ETag and content type are extended attributes (`user.veza.etag`,
///   `user.veza.content-type`) set before the rename. The ETag is the hex MD5 of the content, or
///   for a multipart upload the hex MD5 of the concatenated binary part MD5s followed by `-N`,
///   as on S3. Files without the attributes (copied in by hand, or on a file system without
///   user xattrs) get an ETag derived from size, modification time and inode.
/// - Multipart parts are files under `<root>/.veza/multipart/<upload id>/`, invisible to
///   ``list(prefix:)``; completing concatenates them into a temporary file that is renamed into place.
/// - Blocking system calls run on a `NIOThreadPool`, in steps of at most 1 MiB (8 MiB when
///   assembling parts), so event loops and the cooperative pool never block.
/// - Reads stream in chunks of ``Configuration/readChunkSize`` bytes from one open descriptor, so
///   a concurrent overwrite does not mix two versions.
public struct FileSystemStore: ObjectStore {
    /// How the store behaves.
    public struct Configuration: Sendable {
        /// The directory holding the objects; created when missing.
        public var root: String
        /// Bytes per chunk when streaming a read (default 64 KiB).
        public var readChunkSize: Int
        /// Objects per listing page (default 1000).
        public var listPageSize: Int
        /// The secret for app-signed URLs; without it ``signedURL(method:key:expires:responseContentDisposition:date:)`` throws.
        public var urlSigningSecret: [UInt8]?
        /// The path under which the app serves app-signed object URLs.
        public var signedURLBasePath: String

        /// Creates a configuration.
        public init(
            root: String,
            readChunkSize: Int = 64 * 1024,
            listPageSize: Int = 1000,
            urlSigningSecret: [UInt8]? = nil,
            signedURLBasePath: String = "/api/v1/objects"
        ) {
            self.root = root
            self.readChunkSize = readChunkSize
            self.listPageSize = listPageSize
            self.urlSigningSecret = urlSigningSecret
            self.signedURLBasePath = signedURLBasePath
        }
    }

    /// The configuration.
    public let configuration: Configuration
    let root: String
    let threadPool: NIOThreadPool
    let logger: Logger

    static let etagAttribute = "user.veza.etag"
    static let contentTypeAttribute = "user.veza.content-type"
    static let writeChunkSize = 1024 * 1024

    /// Creates a store; the root directory is created on first write.
    ///
    /// - Parameters:
    ///   - configuration: The root directory and options.
    ///   - threadPool: Where blocking file calls run.
    ///   - logger: For warnings (e.g. no extended attribute support).
    public init(
        configuration: Configuration,
        threadPool: NIOThreadPool = .singleton,
        logger: Logger = Logger(label: "veza.storage.fs")
    ) {
        var root = configuration.root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        if !root.hasPrefix("/") {
            root = FileManager.default.currentDirectoryPath + "/" + root
        }
        self.configuration = configuration
        self.root = root
        self.threadPool = threadPool
        self.logger = logger
    }

    var internalDirectory: String { self.root + "/" + ObjectKey.reservedSegment }
    var temporaryDirectory: String { self.internalDirectory + "/tmp" }

    func path(for key: String) -> String { self.root + "/" + key }

    /// Runs blocking work on the thread pool.
    func io<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await self.threadPool.runIfActive(work)
    }

    // MARK: - Objects

    public func put(key: String, body: ObjectBody, options: PutOptions) async throws -> PutResult {
        try ObjectKey.validate(key)
        let written = try await self.writeTemporaryFile(from: body, key: key, contentType: options.contentType)
        try await self.moveIntoPlace(written.path, key: key)
        return PutResult(key: key, etag: written.etag)
    }

    public func get(key: String, range: ByteRange?) async throws -> ObjectResponse {
        try ObjectKey.validate(key)
        guard let stored = try await self.openStoredFile(self.path(for: key), key: key) else {
            throw StorageError.noSuchKey.with(key: key)
        }
        let info = Self.objectInfo(key: key, stored)
        var served: ClosedRange<Int64>? = nil
        if let range {
            guard let resolved = range.resolved(size: info.size) else {
                throw StorageError.invalidRange.with(
                    message: "The range \(range) does not overlap the object's \(info.size) bytes.",
                    key: key
                )
            }
            served = resolved
        }
        let bounds = served.map { $0.lowerBound..<($0.upperBound + 1) } ?? 0..<info.size
        let chunks = FileChunkSequence(
            file: stored.file,
            range: bounds,
            chunkSize: self.configuration.readChunkSize,
            threadPool: self.threadPool
        )
        return ObjectResponse(info: info, contentRange: served, body: ObjectByteStream(chunks))
    }

    public func head(key: String) async throws -> ObjectInfo? {
        try ObjectKey.validate(key)
        return try await self.openStoredFile(self.path(for: key), key: key).map { Self.objectInfo(key: key, $0) }
    }

    public func delete(key: String) async throws {
        try ObjectKey.validate(key)
        let path = self.path(for: key)
        let root = self.root
        try await self.io {
            do {
                guard try Posix.isRegularFile(path) else { return }
                try Posix.unlink(path)
            } catch let error as SystemCallError where error.isNotFound {
                return
            } catch let error as SystemCallError {
                throw error.storageError(key: key)
            }
            Posix.removeEmptyParents(of: String(path[..<path.lastIndex(of: "/")!]), root: root)
        }
    }

    public func checkHealth() async throws {
        let directory = self.temporaryDirectory
        let root = self.root
        try await self.io {
            do {
                try Posix.makeDirectories(directory, root: "")
                let probe = directory + "/health-" + Self.randomID()
                _ = try Posix.open(probe, flags: O_WRONLY | O_CREAT | O_EXCL)
                try Posix.unlink(probe)
            } catch let error as SystemCallError {
                throw StorageError.io.with(message: "The object directory \(root) is not writable: \(error).")
            }
        }
    }

    // MARK: - Helpers

    static func objectInfo(key: String, _ stored: StoredFile) -> ObjectInfo {
        ObjectInfo(
            key: key,
            size: stored.size,
            etag: stored.etag,
            lastModified: stored.lastModified,
            contentType: stored.contentType
        )
    }

    /// Renames a finished temporary file to the object's path, creating parent directories.
    func moveIntoPlace(_ temporaryPath: String, key: String) async throws {
        let destination = self.path(for: key)
        let parent = String(destination[..<destination.lastIndex(of: "/")!])
        let root = self.root
        try await self.io {
            var attempts = 0
            while true {
                do {
                    try Posix.makeDirectories(parent, root: root)
                    try Posix.rename(temporaryPath, to: destination)
                    return
                } catch let error as SystemCallError {
                    attempts += 1
                    // A concurrent delete may prune the parent between mkdir and rename.
                    if error.errno == ENOENT && attempts < 5 { continue }
                    try? Posix.unlink(temporaryPath)
                    if error.isNotFound || error.errno == EISDIR || error.errno == EEXIST {
                        throw StorageError.conflict.with(
                            message: "The file-system store cannot hold \"\(key)\": one of its parents is an object, "
                                + "or other keys lie under it (\(error)).",
                            key: key
                        )
                    }
                    throw error.storageError(key: key)
                }
            }
        }
    }

    static func randomID() -> String {
        String(format: "%016llx%016llx", UInt64.random(in: .min ... .max), UInt64.random(in: .min ... .max))
    }
}

extension Digest {
    /// Lowercase hex.
    var hex: String {
        self.map { String(format: "%02x", $0) }.joined()
    }
}
