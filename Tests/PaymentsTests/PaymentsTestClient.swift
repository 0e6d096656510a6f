import AsyncHTTPClient
import Logging
import Payments
import Retry
import TestSupport

/// Clients of the fakes, with a quick retry schedule so that retry tests take milliseconds.
enum PaymentsTestClient {
    static let logger = Logger(label: "payments-tests")
    static let quickRetry = RetryPolicy(
        maximumAttempts: 3,
        backoff: Backoff(base: .milliseconds(5), cap: .milliseconds(20), jitter: .full)
    )
    /// Per attempt. Long, so that a machine loaded by parallel suites never turns a slow answer into
    /// a timeout and a retry (the tests count the requests the fakes saw).
    static let attemptTimeout: Duration = .seconds(120)

    static func hyperswitch(
        _ fake: FakeHyperswitch,
        apiKey: String? = nil,
        retry: RetryPolicy = Self.quickRetry
    ) -> HyperswitchClient {
        HyperswitchClient(
            baseURL: fake.url,
            apiKey: apiKey ?? fake.apiKey,
            httpClient: .shared,
            logger: Self.logger,
            retry: retry,
            timeout: Self.attemptTimeout
        )
    }
}
