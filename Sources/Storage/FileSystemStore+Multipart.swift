import Crypto
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the file-system store remembers about an upload in progress (`upload.json`).
struct UploadManifest: Codable, Sendable {
    var key: String
    var contentType: String?
    var initiated: Double
}

extension FileSystemStore {
    var multipartDirectory: String { self.internalDirectory + "/multipart" }

    func uploadDirectory(_ upload: MultipartUpload) throws -> String {
        // Upload ids are 32 lowercase hex digits; anything else cannot name an upload (and so can
        // never reach outside the multipart area).
        let id = upload.uploadID
        guard id.utf8.count == 32, id.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw StorageError.noSuchUpload.with(key: upload.key)
        }
        return self.multipartDirectory + "/" + id
    }

    public func createMultipartUpload(key: String, options: PutOptions) async throws -> MultipartUpload {
        try ObjectKey.validate(key)
        let upload = MultipartUpload(key: key, uploadID: Self.randomID())
        let manifest = UploadManifest(
            key: key,
            contentType: options.contentType,
            initiated: Date().timeIntervalSince1970
        )
        let data = ByteBuffer(bytes: try JSONEncoder().encode(manifest))
        let staging = self.temporaryDirectory + "/upload-" + upload.uploadID
        let destination = try self.uploadDirectory(upload)
        let multipart = self.multipartDirectory
        try await self.io {
            do {
                try Posix.makeDirectories(staging, root: "")
                try Posix.makeDirectories(multipart, root: "")
                let file = try Posix.open(staging + "/upload.json", flags: O_WRONLY | O_CREAT | O_EXCL)
                try Posix.write(file, data, offset: 0)
                try Posix.check("fsync", file.path, fsync(file.fd))
                try Posix.rename(staging, to: destination)
            } catch let error as SystemCallError {
                throw error.storageError(key: key, notFound: .io)
            }
        }
        return upload
    }

    public func uploadPart(_ upload: MultipartUpload, partNumber: Int, body: ObjectBody) async throws -> CompletedPart {
        try MultipartLimits.validate(partNumber: partNumber)
        guard body.length != nil else {
            throw StorageError.invalidArgument.with(message: "A part needs a body of known length.", key: upload.key)
        }
        let directory = try self.uploadDirectory(upload)
        _ = try await self.manifest(of: upload)
        let written = try await self.writeTemporaryFile(from: body, key: upload.key, contentType: nil)
        let destination = directory + "/" + String(partNumber)
        try await self.io {
            do {
                try Posix.rename(written.path, to: destination)
            } catch let error as SystemCallError {
                try? Posix.unlink(written.path)
                throw error.storageError(key: upload.key, notFound: .noSuchUpload)
            }
        }
        return CompletedPart(partNumber: partNumber, etag: written.etag)
    }

    public func listParts(_ upload: MultipartUpload) async throws -> [UploadedPart] {
        let directory = try self.uploadDirectory(upload)
        _ = try await self.manifest(of: upload)
        let entries = try await self.io { () throws -> [(name: String, isDirectory: Bool)] in
            do {
                guard let entries = try Posix.listDirectory(directory) else {
                    throw StorageError.noSuchUpload.with(key: upload.key)
                }
                return entries
            } catch let error as SystemCallError {
                throw error.storageError(key: upload.key, notFound: .noSuchUpload)
            }
        }
        var parts: [UploadedPart] = []
        for entry in entries where !entry.isDirectory {
            guard let number = Int(entry.name),
                let stored = try await self.openStoredFile(directory + "/" + entry.name, key: upload.key)
            else { continue }
            parts.append(
                UploadedPart(
                    partNumber: number,
                    etag: stored.etag,
                    size: stored.size,
                    lastModified: stored.lastModified
                )
            )
        }
        return parts.sorted { $0.partNumber < $1.partNumber }
    }

    public func completeMultipartUpload(_ upload: MultipartUpload, parts: [CompletedPart]) async throws -> PutResult {
        let directory = try self.uploadDirectory(upload)
        let manifest = try await self.manifest(of: upload)
        guard !parts.isEmpty else {
            throw StorageError.invalidArgument.with(
                message: "A multipart upload needs at least one part.",
                key: upload.key
            )
        }
        guard zip(parts, parts.dropFirst()).allSatisfy({ $0.partNumber < $1.partNumber }) else {
            throw StorageError.invalidPartOrder.with(key: upload.key)
        }
        let uploaded = Dictionary(try await self.listParts(upload).map { ($0.partNumber, $0) }) { $1 }
        var digests: [UInt8] = []
        for (index, part) in parts.enumerated() {
            guard let stored = uploaded[part.partNumber], stored.etag == part.etag.unquotedETag,
                let digest = stored.etag.hexBytes, digest.count == 16
            else {
                throw StorageError.invalidPart.with(
                    message: "Part \(part.partNumber) was not uploaded or its ETag does not match.",
                    key: upload.key
                )
            }
            if index < parts.count - 1, stored.size < MultipartLimits.minimumPartSize {
                throw StorageError.entityTooSmall.with(
                    message: "Part \(part.partNumber) is \(stored.size) bytes; every part but the last needs 5 MiB.",
                    key: upload.key
                )
            }
            digests += digest
        }
        let etag = Insecure.MD5.hash(data: digests).hex + "-\(parts.count)"

        // Claim the upload: a concurrent complete or abort now finds no such upload.
        let claimed = self.temporaryDirectory + "/complete-" + upload.uploadID
        try await self.io {
            do {
                try Posix.rename(directory, to: claimed)
            } catch let error as SystemCallError {
                throw error.storageError(key: upload.key, notFound: .noSuchUpload)
            }
        }
        do {
            let partPaths = parts.map { claimed + "/" + String($0.partNumber) }
            let assembled = try await self.concatenate(
                partPaths,
                key: upload.key,
                etag: etag,
                contentType: manifest.contentType
            )
            try await self.moveIntoPlace(assembled, key: upload.key)
        } catch {
            // Give the upload back so that it can be completed again or aborted.
            try? await self.io { try Posix.rename(claimed, to: directory) }
            throw error
        }
        try? await self.io { try Posix.removeTree(claimed) }
        return PutResult(key: upload.key, etag: etag)
    }

    public func abortMultipartUpload(_ upload: MultipartUpload) async throws {
        guard let directory = try? self.uploadDirectory(upload) else { return }
        let doomed = self.temporaryDirectory + "/abort-" + upload.uploadID + "-" + Self.randomID()
        try await self.io {
            do {
                try Posix.rename(directory, to: doomed)
            } catch let error as SystemCallError where error.isNotFound {
                return
            } catch let error as SystemCallError {
                throw error.storageError(key: upload.key)
            }
            try? Posix.removeTree(doomed)
        }
    }

    public func listMultipartUploads(prefix: String) async throws -> [MultipartUploadInfo] {
        try ObjectKey.validatePrefix(prefix)
        let directory = self.multipartDirectory
        return try await self.io { () throws -> [MultipartUploadInfo] in
            var uploads: [MultipartUploadInfo] = []
            do {
                for entry in try Posix.listDirectory(directory) ?? [] where entry.isDirectory {
                    guard let manifest = try Self.readManifest(directory + "/" + entry.name + "/upload.json"),
                        manifest.key.utf8.starts(with: prefix.utf8)
                    else { continue }
                    uploads.append(
                        MultipartUploadInfo(
                            upload: MultipartUpload(key: manifest.key, uploadID: entry.name),
                            initiated: Date(timeIntervalSince1970: manifest.initiated)
                        )
                    )
                }
            } catch let error as SystemCallError {
                throw error.storageError(key: prefix, notFound: .io)
            }
            return uploads.sorted {
                $0.upload.key == $1.upload.key
                    ? $0.initiated < $1.initiated
                    : $0.upload.key.utf8.lexicographicallyPrecedes($1.upload.key.utf8)
            }
        }
    }

    // MARK: - Helpers

    /// The manifest of an upload in progress; throws ``StorageError/noSuchUpload`` when there is none.
    func manifest(of upload: MultipartUpload) async throws -> UploadManifest {
        let path = try self.uploadDirectory(upload) + "/upload.json"
        let manifest = try await self.io { () throws -> UploadManifest? in
            do {
                return try Self.readManifest(path)
            } catch let error as SystemCallError {
                throw error.storageError(key: upload.key, notFound: .noSuchUpload)
            }
        }
        guard let manifest, manifest.key == upload.key else {
            throw StorageError.noSuchUpload.with(key: upload.key)
        }
        return manifest
    }

    static func readManifest(_ path: String) throws -> UploadManifest? {
        let file: OpenFile
        do {
            file = try Posix.open(path, flags: O_RDONLY)
        } catch let error as SystemCallError where error.isNotFound {
            return nil
        }
        let buffer = try Posix.read(file, offset: 0, count: 64 * 1024)
        return try? JSONDecoder().decode(UploadManifest.self, from: Data(buffer.readableBytesView))
    }

}

extension String {
    /// The ETag without surrounding quotes (S3 sends `"…"`).
    var unquotedETag: String {
        var etag = self
        if etag.hasPrefix("W/") { etag.removeFirst(2) }
        if etag.count >= 2, etag.hasPrefix("\""), etag.hasSuffix("\"") { etag = String(etag.dropFirst().dropLast()) }
        return etag
    }

    /// The bytes of a hex string, or nil when it is not hex.
    var hexBytes: [UInt8]? {
        let digits = Array(self.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
        }
        return bytes
    }
}
