import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Retry
import SignedURL

extension RetryPolicy {
    /// How the payment-provider clients retry by default: four attempts in all, the wait before
    /// attempt `n + 1` drawn from `0...min(2 s, 200 ms × 2ⁿ⁻¹)` ("full jitter").
    ///
    /// The budget is small on purpose: callers are request handlers and workers that have their
    /// own next tick; a provider that stays down is better reported than waited for.
    public static let paymentProvider = RetryPolicy(
        maximumAttempts: 4,
        backoff: Backoff(base: .milliseconds(200), cap: .seconds(2), jitter: .full)
    )
}

/// One call to a provider's HTTP API, before it is sent.
struct ProviderCall: Sendable {
    /// For logs, e.g. `create_payment`.
    var name: String
    var method: HTTPMethod
    /// The path below the base URL, already percent-encoded, starting with `/`.
    var path: String
    var headers: [(String, String)] = []
    var body: [UInt8]?
    /// Which failures may be sent again (see ``RetryScope``).
    var retry: RetryScope
}

/// Which failures of a call are retried.
enum RetryScope: Sendable {
    /// Never: the call is not idempotent.
    case never
    /// Transport failures only (the answer may have been lost), not 5xx answers.
    case transportFailures
    /// Transport failures and 5xx answers.
    case transportFailuresAndServerErrors
}

/// What a provider answered: the status and the (small, JSON) body.
struct ProviderResponse: Sendable {
    var status: Int
    var body: ByteBuffer

    var isSuccess: Bool { (200..<300).contains(self.status) }
}

/// A failure below HTTP: no answer came (connection refused or reset, timeout, TLS).
struct ProviderTransportFailure: Error, Sendable, CustomStringConvertible {
    /// `timeout` or `connection`.
    var kind: String
    var description: String
}

/// The HTTP plumbing both provider clients share: base URL, timeouts, body limit and the retry loop.
struct ProviderTransport: Sendable {
    /// Provider JSON answers are small; anything bigger is not one.
    static let maximumBodySize = 1 << 20

    let baseURL: String
    let httpClient: HTTPClient
    let logger: Logger
    let retry: RetryPolicy
    let timeout: Duration
    /// Sent with every call (authentication, accept); never logged.
    let fixedHeaders: [(String, String)]

    init(
        baseURL: URL,
        httpClient: HTTPClient,
        logger: Logger,
        retry: RetryPolicy,
        timeout: Duration,
        fixedHeaders: [(String, String)]
    ) {
        var base = baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.httpClient = httpClient
        self.logger = logger
        self.retry = retry
        self.timeout = timeout
        self.fixedHeaders = fixedHeaders
    }

    /// Sends `call`, retrying what its ``RetryScope`` allows, and returns the last answer (any status).
    ///
    /// - Throws: ``ProviderTransportFailure`` when no answer came on the last attempt;
    ///   `CancellationError` unchanged.
    func send(_ call: ProviderCall) async throws -> ProviderResponse {
        var attempt = 0
        while true {
            attempt += 1
            let outcome: Result<ProviderResponse, ProviderTransportFailure>
            do {
                outcome = .success(try await self.sendOnce(call))
            } catch let failure as ProviderTransportFailure {
                outcome = .failure(failure)
            }
            let retryable: Bool
            switch (outcome, call.retry) {
            case (_, .never): retryable = false
            case (.failure, _): retryable = true
            case (.success(let response), .transportFailuresAndServerErrors): retryable = response.status >= 500
            case (.success, .transportFailures): retryable = false
            }
            guard retryable, self.retry.allowsRetry(afterAttempt: attempt) else {
                return try outcome.get()
            }
            let delay = self.retry.backoff.delay(afterAttempt: attempt)
            var metadata: Logger.Metadata = ["payment.call": "\(call.name)", "payment.attempt": "\(attempt)"]
            switch outcome {
            case .success(let response): metadata["http.status"] = "\(response.status)"
            case .failure(let failure): metadata["error.message"] = "\(failure)"
            }
            self.logger.debug("Retrying payment provider call", metadata: metadata)
            try await Task.sleep(for: delay)
        }
    }

    private func sendOnce(_ call: ProviderCall) async throws -> ProviderResponse {
        var request = HTTPClientRequest(url: self.baseURL + call.path)
        request.method = call.method
        for (name, value) in self.fixedHeaders + call.headers { request.headers.add(name: name, value: value) }
        if let body = call.body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let deadline = TimeAmount.nanoseconds(Int64(self.timeout.seconds * 1e9))
        do {
            let response = try await self.httpClient.execute(request, timeout: deadline, logger: self.logger)
            let body = try await response.body.collect(upTo: Self.maximumBodySize)
            return ProviderResponse(status: Int(response.status.code), body: body)
        } catch {
            throw try Self.transportFailure(error, call: call)
        }
    }

    /// Classifies an AsyncHTTPClient/NIO failure; cancellation is rethrown as it is.
    static func transportFailure(_ error: any Error, call: ProviderCall) throws -> ProviderTransportFailure {
        if error is CancellationError { throw error }
        if let client = error as? HTTPClientError {
            switch client {
            case .cancelled:
                throw CancellationError()
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout:
                return ProviderTransportFailure(kind: "timeout", description: "\(call.name) timed out (\(client))")
            default:
                break
            }
        }
        if error is NIOTooManyBytesError {
            return ProviderTransportFailure(kind: "connection", description: "\(call.name): the answer is too large")
        }
        return ProviderTransportFailure(kind: "connection", description: "\(call.name) failed: \(error)")
    }
}

/// Percent-encodes one path segment (an id the caller chose), so that it cannot change the path:
/// RFC 3986 unreserved characters stay, everything else is `%XX`.
func encodePathSegment(_ segment: String) -> String {
    AWSURIEncoding.encode(segment)
}
