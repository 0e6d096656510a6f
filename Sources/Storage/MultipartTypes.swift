import Foundation

/// A multipart upload in progress.
public struct MultipartUpload: Sendable, Hashable, Codable {
    /// The key the object will have once the upload completes.
    public var key: String
    /// The store's id for the upload.
    public var uploadID: String

    /// Creates a handle on an existing upload (e.g. one saved in a database).
    public init(key: String, uploadID: String) {
        self.key = key
        self.uploadID = uploadID
    }
}

/// A part to assemble when completing a multipart upload.
public struct CompletedPart: Sendable, Hashable, Codable {
    /// The part number, 1 to 10 000.
    public var partNumber: Int
    /// The ETag returned when the part was uploaded, without quotes.
    public var etag: String

    /// Creates a completed part.
    public init(partNumber: Int, etag: String) {
        self.partNumber = partNumber
        self.etag = etag
    }
}

/// A part the store holds for an upload in progress.
public struct UploadedPart: Sendable, Hashable {
    /// The part number.
    public var partNumber: Int
    /// The part's ETag, without quotes.
    public var etag: String
    /// The part's size in bytes.
    public var size: Int64
    /// When the part was uploaded.
    public var lastModified: Date

    /// Creates an uploaded part.
    public init(partNumber: Int, etag: String, size: Int64, lastModified: Date) {
        self.partNumber = partNumber
        self.etag = etag
        self.size = size
        self.lastModified = lastModified
    }
}

/// An upload in progress as listed by `listMultipartUploads(prefix:)`.
public struct MultipartUploadInfo: Sendable, Hashable {
    /// The upload.
    public var upload: MultipartUpload
    /// When the upload was created.
    public var initiated: Date

    /// Creates an upload description.
    public init(upload: MultipartUpload, initiated: Date) {
        self.upload = upload
        self.initiated = initiated
    }
}

/// Multipart limits shared by both stores (those of S3).
public enum MultipartLimits {
    /// The smallest part other than the last: 5 MiB.
    public static let minimumPartSize: Int64 = 5 * 1024 * 1024
    /// The largest part: 5 GiB.
    public static let maximumPartSize: Int64 = 5 * 1024 * 1024 * 1024
    /// The highest part number.
    public static let maximumPartNumber = 10_000

    static func validate(partNumber: Int) throws {
        guard (1...self.maximumPartNumber).contains(partNumber) else {
            throw StorageError.invalidArgument.with(
                message: "Part number \(partNumber) is out of range: parts are numbered 1 to \(self.maximumPartNumber)."
            )
        }
    }
}
