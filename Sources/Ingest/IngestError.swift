/// Why an upload operation was refused or failed.
///
/// ``code`` is stable and machine-readable (the HTTP layer maps it to a status and returns it in
/// the JSON error body); ``message`` tells the client what to fix.
public struct IngestError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: String, Sendable, Equatable {
        case notFound = "not_found"
        case invalidArgument = "invalid_argument"
        case tooLarge = "upload_too_large"
        case chunkTooLarge = "chunk_too_large"
        case chunkLengthMismatch = "chunk_length_mismatch"
        case chunkChecksumMismatch = "chunk_checksum_mismatch"
        case missingChunks = "missing_chunks"
        case assemblyInProgress = "assembly_in_progress"
        case invalidState = "invalid_state"
        case gone = "upload_gone"
        case sizeMismatch = "size_mismatch"
        case checksumMismatch = "checksum_mismatch"
        case unsupportedMediaType = "unsupported_media_type"
        case tooManySessions = "too_many_uploads"
        case storeUnavailable = "store_unavailable"
        case offsetMismatch = "offset_mismatch"
        case segmentChecksumMismatch = "upload_checksum_mismatch"
        case uploadBusy = "upload_busy"
        case spoolQuotaExceeded = "spool_quota_exceeded"
    }

    private let kind: Code
    public let message: String
    /// Seconds after which retrying makes sense (assembly in progress, store outage).
    public let retryAfterSeconds: Int?

    private init(_ kind: Code, _ message: String, retryAfterSeconds: Int? = nil) {
        self.kind = kind
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The stable error code, e.g. `checksum_mismatch`.
    public var code: String { self.kind.rawValue }
    public var description: String { "\(self.code): \(self.message)" }

    /// Errors compare by kind only.
    public static func == (lhs: IngestError, rhs: IngestError) -> Bool { lhs.kind == rhs.kind }

    public static let notFound = IngestError(.notFound, "no such upload")
    public static let invalidArgument = IngestError(.invalidArgument, "invalid argument")
    public static let tooLarge = IngestError(.tooLarge, "the upload is too large")
    public static let chunkTooLarge = IngestError(.chunkTooLarge, "the chunk is too large")
    public static let chunkLengthMismatch = IngestError(.chunkLengthMismatch, "the chunk has the wrong length")
    public static let chunkChecksumMismatch = IngestError(.chunkChecksumMismatch, "the chunk is corrupted")
    public static let missingChunks = IngestError(.missingChunks, "chunks are missing")
    public static let assemblyInProgress = IngestError(.assemblyInProgress, "assembly in progress")
    public static let invalidState = IngestError(.invalidState, "invalid state")
    public static let gone = IngestError(.gone, "the upload is gone")
    public static let sizeMismatch = IngestError(.sizeMismatch, "size mismatch")
    public static let checksumMismatch = IngestError(.checksumMismatch, "checksum mismatch")
    public static let unsupportedMediaType = IngestError(.unsupportedMediaType, "not audio")
    public static let tooManySessions = IngestError(.tooManySessions, "too many uploads")
    public static let storeUnavailable = IngestError(.storeUnavailable, "store unavailable")
    public static let offsetMismatch = IngestError(.offsetMismatch, "offset mismatch")
    public static let segmentChecksumMismatch = IngestError(.segmentChecksumMismatch, "checksum mismatch")
    public static let uploadBusy = IngestError(
        .uploadBusy,
        "another request is writing to this upload (or this chunk); retry when it has finished",
        retryAfterSeconds: 1
    )
    public static let spoolQuotaExceeded = IngestError(.spoolQuotaExceeded, "spool quota exceeded")

    static func spoolQuotaExceeded(limit: Int64) -> IngestError {
        IngestError(
            .spoolQuotaExceeded,
            "your unfinished uploads would hold more than \(limit / (1024 * 1024)) MiB on the server; "
                + "complete or abort one first",
            retryAfterSeconds: 30
        )
    }

    static func offsetMismatch(expected: Int64, actual: Int64) -> IngestError {
        IngestError(.offsetMismatch, "the upload is at offset \(expected), not \(actual); resume from \(expected)")
    }

    static func segmentTooLarge(remaining: Int64) -> IngestError {
        IngestError(.chunkTooLarge, "the body is longer than the \(remaining) bytes the upload still expects")
    }

    static func segmentChecksumMismatch(algorithm: String) -> IngestError {
        IngestError(
            .segmentChecksumMismatch,
            "the bytes do not match Upload-Checksum (\(algorithm)); they were discarded"
        )
    }

    static func invalidArgument(_ message: String) -> IngestError { IngestError(.invalidArgument, message) }

    static func tooLarge(size: Int64, limit: Int64) -> IngestError {
        IngestError(
            .tooLarge,
            "the file is \(size) bytes; the limit is \(limit / (1024 * 1024)) MiB (\(limit) bytes)"
        )
    }

    static func chunkTooLarge(index: Int, expected: Int64) -> IngestError {
        IngestError(.chunkTooLarge, "chunk \(index) must be exactly \(expected) bytes; the body is longer")
    }

    static func chunkLengthMismatch(index: Int, expected: Int64, actual: Int64) -> IngestError {
        IngestError(.chunkLengthMismatch, "chunk \(index) must be exactly \(expected) bytes, got \(actual)")
    }

    static func chunkChecksumMismatch(index: Int, expected: String, actual: String) -> IngestError {
        IngestError(
            .chunkChecksumMismatch,
            "chunk \(index) has SHA-256 \(actual) but X-Chunk-SHA256 says \(expected); send it again"
        )
    }

    static func missingChunks(_ missing: [Int]) -> IngestError {
        let listed = missing.prefix(20).map(String.init).joined(separator: ", ")
        let more = missing.count > 20 ? " and \(missing.count - 20) more" : ""
        return IngestError(.missingChunks, "send the missing chunks first: \(listed)\(more)")
    }

    static let assemblyRunning = IngestError(
        .assemblyInProgress,
        "the upload is being assembled; ask again shortly",
        retryAfterSeconds: 2
    )

    static func invalidState(_ status: UploadStatus, action: String) -> IngestError {
        IngestError(.invalidState, "cannot \(action) an upload that is \(status.rawValue)")
    }

    static func gone(_ status: UploadStatus) -> IngestError {
        IngestError(.gone, "the upload was \(status.rawValue) and its chunks deleted; start a new upload")
    }

    static func sizeMismatch(expected: Int64, actual: Int64) -> IngestError {
        IngestError(.sizeMismatch, "the chunks add up to \(actual) bytes but the declared size is \(expected)")
    }

    static func checksumMismatch(expected: String, actual: String) -> IngestError {
        IngestError(
            .checksumMismatch,
            "the assembled file has SHA-256 \(actual) but \(expected) was declared; "
                + "re-send the corrupted chunks and complete again"
        )
    }

    static func unsupportedMediaType(_ detail: String) -> IngestError {
        IngestError(.unsupportedMediaType, "the file is not a supported audio format (\(detail))")
    }

    static func tooManySessions(limit: Int) -> IngestError {
        IngestError(.tooManySessions, "you have \(limit) uploads in progress; finish or abort one first")
    }

    static func storeUnavailable(_ detail: String) -> IngestError {
        IngestError(
            .storeUnavailable,
            "the object store is unavailable (\(detail)); the chunks are kept, call complete again",
            retryAfterSeconds: 30
        )
    }
}
