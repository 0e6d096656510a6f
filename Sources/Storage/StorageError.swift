/// An error thrown by an ``ObjectStore``.
///
/// Errors are compared by kind only: `error == .noSuchKey` is true for every "no such key" error,
/// whatever its message, key or request id. The S3 error code, the message and the request id are
/// kept for logs and for callers that need the details.
public struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: String, Sendable, Equatable {
        case noSuchKey = "NoSuchKey"
        case noSuchUpload = "NoSuchUpload"
        case noSuchBucket = "NoSuchBucket"
        case accessDenied = "AccessDenied"
        case entityTooSmall = "EntityTooSmall"
        case entityTooLarge = "EntityTooLarge"
        case invalidPart = "InvalidPart"
        case invalidPartOrder = "InvalidPartOrder"
        case invalidKey = "InvalidKey"
        case invalidRange = "InvalidRange"
        case invalidArgument = "InvalidArgument"
        case conflict = "Conflict"
        case throttled = "Throttled"
        case unavailable = "Unavailable"
        case connection = "Connection"
        case timeout = "Timeout"
        case unsupported = "Unsupported"
        case io = "IO"
        case unexpectedResponse = "UnexpectedResponse"
    }

    private var code: Code
    /// A human readable explanation, from the server when there is one.
    public var message: String
    /// The S3 error code as sent by the server (`NoSuchKey`, `SignatureDoesNotMatch`, …), if any.
    public var s3Code: String?
    /// The request id the server assigned (`x-amz-request-id` or `<RequestId>`), if any.
    public var requestID: String?
    /// The HTTP status of the response that carried the error, if any.
    public var httpStatus: Int?
    /// The object key the operation was about, if any.
    public var key: String?

    private init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The object does not exist.
    public static let noSuchKey = StorageError(code: .noSuchKey, message: "The object does not exist.")
    /// The multipart upload does not exist: it was never created, was completed or was aborted.
    public static let noSuchUpload = StorageError(code: .noSuchUpload, message: "The multipart upload does not exist.")
    /// The bucket does not exist.
    public static let noSuchBucket = StorageError(code: .noSuchBucket, message: "The bucket does not exist.")
    /// The credentials were refused: unknown key, bad or expired signature, or no permission.
    public static let accessDenied = StorageError(code: .accessDenied, message: "Access denied.")
    /// A part other than the last one is smaller than the minimum part size (5 MiB on S3).
    public static let entityTooSmall = StorageError(
        code: .entityTooSmall,
        message: "A part other than the last is smaller than the minimum part size."
    )
    /// The body is larger than the operation allows.
    public static let entityTooLarge = StorageError(code: .entityTooLarge, message: "The body is too large.")
    /// A part named in a completion was not uploaded, or its ETag does not match.
    public static let invalidPart = StorageError(
        code: .invalidPart,
        message: "A listed part was not uploaded or its ETag does not match."
    )
    /// The parts named in a completion are not in ascending order of part number.
    public static let invalidPartOrder = StorageError(
        code: .invalidPartOrder,
        message: "The parts are not in ascending order."
    )
    /// The object key is not acceptable (see ``ObjectKey``).
    public static let invalidKey = StorageError(code: .invalidKey, message: "The object key is invalid.")
    /// The requested byte range does not overlap the object.
    public static let invalidRange = StorageError(
        code: .invalidRange,
        message: "The requested range is not satisfiable."
    )
    /// An argument is out of range (part number, page size, missing length, …).
    public static let invalidArgument = StorageError(code: .invalidArgument, message: "Invalid argument.")
    /// The operation conflicts with the current state (a concurrent change, or a file-system
    /// store key that collides with a "directory" of other keys).
    public static let conflict = StorageError(
        code: .conflict,
        message: "The operation conflicts with the current state."
    )
    /// The server asked the client to slow down (HTTP 429 or `SlowDown`) and retries ran out.
    public static let throttled = StorageError(code: .throttled, message: "The store asked to slow down.")
    /// The server failed (HTTP 5xx) and retries ran out.
    public static let unavailable = StorageError(code: .unavailable, message: "The store is unavailable.")
    /// The connection to the store failed (refused, reset, closed early).
    public static let connection = StorageError(code: .connection, message: "The connection to the store failed.")
    /// The operation did not finish within its timeout.
    public static let timeout = StorageError(code: .timeout, message: "The operation timed out.")
    /// The store does not support the operation (e.g. a signed URL without a signing secret).
    public static let unsupported = StorageError(code: .unsupported, message: "The operation is not supported.")
    /// A local file-system operation failed.
    public static let io = StorageError(code: .io, message: "A file-system operation failed.")
    /// The server answered something this client does not understand.
    public static let unexpectedResponse = StorageError(
        code: .unexpectedResponse,
        message: "The store sent an unexpected response."
    )

    /// Whether both errors are of the same kind; details are not compared.
    public static func == (lhs: StorageError, rhs: StorageError) -> Bool {
        lhs.code == rhs.code
    }

    /// A copy of this error with more details.
    func with(
        message: String? = nil,
        s3Code: String? = nil,
        requestID: String? = nil,
        httpStatus: Int? = nil,
        key: String? = nil
    ) -> StorageError {
        var copy = self
        if let message { copy.message = message }
        if let s3Code { copy.s3Code = s3Code }
        if let requestID { copy.requestID = requestID }
        if let httpStatus { copy.httpStatus = httpStatus }
        if let key { copy.key = key }
        return copy
    }

    /// Whether a failed attempt with this error may be retried on an idempotent request.
    var isTransient: Bool {
        switch self.code {
        case .throttled, .unavailable, .connection, .timeout: return true
        default: return false
        }
    }

    public var description: String {
        var text = "\(self.s3Code ?? self.code.rawValue): \(self.message)"
        var details: [String] = []
        if let key { details.append("key: \(key)") }
        if let httpStatus { details.append("HTTP \(httpStatus)") }
        if let requestID { details.append("request id: \(requestID)") }
        if !details.isEmpty { text += " (\(details.joined(separator: ", ")))" }
        return text
    }
}
