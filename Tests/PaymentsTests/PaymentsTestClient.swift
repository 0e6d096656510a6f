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
            retry: retry
        )
    }
}
