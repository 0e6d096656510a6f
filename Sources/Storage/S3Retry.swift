import AsyncHTTPClient
import NIOCore
import NIOPosix
import Retry

extension RetryPolicy {
    /// When and how ``S3Store`` retries a failed request by default.
    ///
    /// Only idempotent requests whose body can be sent again are retried (GET, HEAD, DELETE, listings,
    /// and PUT/UploadPart with an in-memory body), and only after a transient failure: HTTP 5xx, HTTP
    /// 429 or `SlowDown`, a timeout or a connection error. Four attempts in all; the wait before
    /// attempt `n + 1` is drawn uniformly from `0...min(5 s, 100 ms × 2ⁿ⁻¹)` ("full jitter", as the
    /// AWS SDKs do).
    public static let s3 = RetryPolicy(
        maximumAttempts: 4,
        backoff: Backoff(base: .milliseconds(100), cap: .seconds(5), jitter: .full)
    )
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = self.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled + attoseconds / 1_000_000_000
    }

    /// The duration as a NIO `TimeAmount`.
    var timeAmount: TimeAmount { .nanoseconds(self.nanoseconds) }
}

extension StorageError {
    /// Maps a transport failure from AsyncHTTPClient or NIO to a ``StorageError``; `nil` when the
    /// failure is a cancellation, which must propagate unchanged.
    static func transport(_ error: any Error, operation: String, key: String?) -> StorageError? {
        if error is CancellationError { return nil }
        if let error = error as? StorageError { return error }
        if let client = error as? HTTPClientError {
            switch client {
            case .cancelled:
                return nil
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout:
                return StorageError.timeout.with(message: "\(operation) timed out (\(client)).", key: key)
            case .bodyLengthMismatch:
                return StorageError.invalidArgument.with(
                    message: "\(operation): the body's length differs from its declared length.",
                    key: key
                )
            default:
                return StorageError.connection.with(message: "\(operation) failed: \(client).", key: key)
            }
        }
        if error is NIOConnectionError || error is IOError || error is ChannelError {
            return StorageError.connection.with(message: "\(operation) failed: \(error).", key: key)
        }
        return StorageError.connection.with(message: "\(operation) failed: \(String(reflecting: error)).", key: key)
    }
}
