import Foundation
import Payments
import Retry
import TestSupport
import Testing

/// The fake's scripting and bookkeeping that the payout tests count on.
@Suite("FakeStripe scripting")
struct FakeStripeScriptingTests {
    static func client(_ fake: FakeStripe) -> StripeConnectClient {
        StripeConnectClient(
            baseURL: fake.url,
            secretKey: fake.secretKey,
            httpClient: .shared,
            logger: PaymentsTestClient.logger,
            retry: .none,
            timeout: PaymentsTestClient.attemptTimeout
        )
    }

    @Test("a failure scripted for one endpoint leaves the others alone")
    func perEndpoint() async throws {
        try await FakeStripe.with { fake in
            let client = Self.client(fake)
            fake.failNext(1, of: .reverseTransfer, status: 503)
            let transfer = try await client.createTransfer(
                amountMinor: 100,
                currency: "usd",
                destination: "acct_1",
                idempotencyKey: "k1"
            )
            await #expect(throws: StripeError.api) {
                _ = try await client.reverseTransfer(id: transfer.id, idempotencyKey: "r1")
            }
            // Not saved: the same key runs the reversal now.
            let reversal = try await client.reverseTransfer(id: transfer.id, idempotencyKey: "r1")
            #expect(reversal.transferID == transfer.id)
            #expect(fake.requests(withIdempotencyKey: "r1").count == 2)
            #expect(fake.executions(ofIdempotencyKey: "r1") == 1)
        }
    }

    @Test("executions count what ran: replays, scripted failures and validation refusals do not")
    func executions() async throws {
        try await FakeStripe.with { fake in
            let client = Self.client(fake)
            fake.failNext(1, of: .createTransfer, status: 429)
            await #expect(throws: StripeError.rateLimited) {
                _ = try await client.createTransfer(
                    amountMinor: 100,
                    currency: "usd",
                    destination: "acct_1",
                    idempotencyKey: "k"
                )
            }
            for _ in 0..<3 {
                _ = try await client.createTransfer(
                    amountMinor: 100,
                    currency: "usd",
                    destination: "acct_1",
                    idempotencyKey: "k"
                )
            }
            await #expect(throws: StripeError.invalidRequest) {
                _ = try await client.createTransfer(
                    amountMinor: 100,
                    currency: "usd",
                    destination: "bogus",
                    idempotencyKey: "v"
                )
            }
            #expect(fake.requests(withIdempotencyKey: "k").count == 4)
            #expect(fake.executionsByIdempotencyKey == ["k": 1])
            #expect(fake.transfers.count == 1)
        }
    }

    @Test("a 500 saved under its key is replayed, as Stripe does once the endpoint began")
    func savedFailure() async throws {
        try await FakeStripe.with { fake in
            let client = Self.client(fake)
            fake.failNext(1, of: .createTransfer, status: 500, savedUnderIdempotencyKey: true)
            for _ in 0..<2 {
                await #expect(throws: StripeError.api) {
                    _ = try await client.createTransfer(
                        amountMinor: 100,
                        currency: "usd",
                        destination: "acct_1",
                        idempotencyKey: "k"
                    )
                }
            }
            #expect(fake.transfers.isEmpty)
        }
    }
}
