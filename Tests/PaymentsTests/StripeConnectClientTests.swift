import Foundation
import Payments
import TestSupport
import Testing

@Suite("StripeConnectClient against FakeStripe")
struct StripeConnectClientTests {
    static func client(_ fake: FakeStripe, key: String? = nil) -> StripeConnectClient {
        StripeConnectClient(
            baseURL: fake.url,
            secretKey: key ?? fake.secretKey,
            httpClient: .shared,
            logger: PaymentsTestClient.logger,
            retry: PaymentsTestClient.quickRetry,
            timeout: PaymentsTestClient.attemptTimeout
        )
    }

    @Test func createTransferSendsAFormWithBearerAuth() async throws {
        try await FakeStripe.with { fake in
            let transfer = try await Self.client(fake).createTransfer(
                amountMinor: 899,
                currency: "USD",
                destination: "acct_seller1",
                transferGroup: "order_1",
                metadata: ["order_id": "order 1/é", "transfer_id": "t1"],
                idempotencyKey: "t1"
            )
            #expect(transfer.id.hasPrefix("tr_"))
            #expect(transfer.amountMinor == 899)
            #expect(transfer.amountReversedMinor == 0)
            #expect(transfer.currency == "usd")
            #expect(transfer.destination == "acct_seller1")
            #expect(transfer.transferGroup == "order_1")
            #expect(!transfer.reversed)
            #expect(transfer.metadata == ["order_id": "order 1/é", "transfer_id": "t1"])

            let sent = try #require(fake.requests("POST", "/v1/transfers").first)
            #expect(sent.header("Authorization") == "Bearer \(fake.secretKey)")
            #expect(sent.header("Idempotency-Key") == "t1")
            #expect(sent.header("Content-Type") == "application/x-www-form-urlencoded")
            #expect(
                sent.bodyText
                    == "amount=899&currency=usd&destination=acct_seller1&transfer_group=order_1"
                    + "&metadata%5Border_id%5D=order%201%2F%C3%A9&metadata%5Btransfer_id%5D=t1"
            )
            let form = FakeStripe.parseForm(sent)
            #expect(form.first { $0.0 == "metadata[order_id]" }?.1 == "order 1/é")

            let read = try await Self.client(fake).retrieveTransfer(id: transfer.id)
            #expect(read == transfer)
        }
    }

    @Test("the same key is replayed: one transfer; other parameters: idempotency_error")
    func idempotentReplay() async throws {
        try await FakeStripe.with { fake in
            let client = Self.client(fake)
            let first = try await client.createTransfer(
                amountMinor: 500,
                currency: "usd",
                destination: "acct_1",
                idempotencyKey: "row-1"
            )
            let second = try await client.createTransfer(
                amountMinor: 500,
                currency: "usd",
                destination: "acct_1",
                idempotencyKey: "row-1"
            )
            #expect(first == second)
            #expect(fake.transfers.count == 1)
            #expect(fake.requests("POST", "/v1/transfers").count == 2)

            let error = await #expect(throws: StripeError.idempotencyConflict) {
                try await client.createTransfer(
                    amountMinor: 501,
                    currency: "usd",
                    destination: "acct_1",
                    idempotencyKey: "row-1"
                )
            }
            #expect(error?.httpStatus == 400)
            #expect(error?.type == "idempotency_error")
            #expect(fake.transfers.count == 1)
        }
    }

    @Test func reversalsAndTheirTypedErrors() async throws {
        try await FakeStripe.with { fake in
            let client = Self.client(fake)
            let transfer = try await client.createTransfer(
                amountMinor: 1000,
                currency: "eur",
                destination: "acct_2",
                idempotencyKey: "row-2"
            )
            let partial = try await client.reverseTransfer(id: transfer.id, amountMinor: 300, idempotencyKey: "rev-a")
            #expect(partial.id.hasPrefix("trr_"))
            #expect(partial.transferID == transfer.id)
            #expect(partial.amountMinor == 300)
            #expect(fake.requests("POST", "/v1/transfers/\(transfer.id)/reversals").first?.bodyText == "amount=300")

            // No amount: what is left.
            let rest = try await client.reverseTransfer(id: transfer.id, idempotencyKey: "rev-b")
            #expect(rest.amountMinor == 700)
            let reversed = try await client.retrieveTransfer(id: transfer.id)
            #expect(reversed.reversed)
            #expect(reversed.amountReversedMinor == 1000)

            // Replaying a reversal's key returns the same reversal, moving nothing.
            #expect(try await client.reverseTransfer(id: transfer.id, idempotencyKey: "rev-b") == rest)
            #expect(fake.reversals.count == 2)

            let again = await #expect(throws: StripeError.alreadyReversed) {
                try await client.reverseTransfer(id: transfer.id, idempotencyKey: "rev-c")
            }
            #expect(again?.httpStatus == 400)
            #expect(again?.isTransient == false)
            #expect(again?.message == "The transfer \(transfer.id) is already fully reversed.")

            let missing = await #expect(throws: StripeError.resourceMissing) {
                try await client.reverseTransfer(id: "tr_missing", idempotencyKey: "rev-d")
            }
            #expect(missing?.code == "resource_missing")
            #expect(missing?.httpStatus == 404)
            #expect(missing?.message == "No such transfer: 'tr_missing'")
            await #expect(throws: StripeError.resourceMissing) { try await client.retrieveTransfer(id: "tr_missing") }
            // Neither is retried.
            #expect(fake.requests("POST", "/v1/transfers/tr_missing/reversals").count == 1)
            #expect(fake.requests("GET", "/v1/transfers/tr_missing").count == 1)
            #expect(StripeError.alreadyReversed != StripeError.resourceMissing)
        }
    }

    @Test func authenticationAndValidationErrors() async throws {
        try await FakeStripe.with { fake in
            let refused = await #expect(throws: StripeError.authentication) {
                try await Self.client(fake, key: "sk_test_wrong_key").retrieveTransfer(id: "tr_1")
            }
            #expect(refused?.httpStatus == 401)
            #expect(refused.map { !"\($0)".contains("sk_test_wrong_key") } == true)

            let client = Self.client(fake)
            let invalid = await #expect(throws: StripeError.invalidRequest) {
                try await client.createTransfer(
                    amountMinor: 0,
                    currency: "usd",
                    destination: "acct_1",
                    idempotencyKey: "k"
                )
            }
            #expect(invalid?.param == "amount")
            fake.setAvailableBalance(100)
            let poor = await #expect(throws: StripeError.invalidRequest) {
                try await client.createTransfer(
                    amountMinor: 101,
                    currency: "usd",
                    destination: "acct_1",
                    idempotencyKey: "k2"
                )
            }
            #expect(poor?.code == "balance_insufficient")
            await #expect(throws: StripeError.missingIdempotencyKey) {
                try await client.createTransfer(
                    amountMinor: 1,
                    currency: "usd",
                    destination: "acct_1",
                    idempotencyKey: ""
                )
            }
            // The empty key never left the client; nothing was retried.
            #expect(fake.requests.count == 3)
            #expect(fake.transfers.isEmpty)
        }
    }

    @Test("retries: GETs after a 5xx; POSTs not after a 5xx (Stripe replays it), but after a 409")
    func retries() async throws {
        try await FakeStripe.with { fake in
            let client = Self.client(fake)
            let transfer = try await client.createTransfer(
                amountMinor: 100,
                currency: "usd",
                destination: "acct_3",
                idempotencyKey: "row-3"
            )
            fake.failNext(2)
            #expect(try await client.retrieveTransfer(id: transfer.id) == transfer)
            #expect(fake.requests("GET", "/v1/transfers/\(transfer.id)").count == 3)

            fake.failNext(1, savedUnderIdempotencyKey: true)
            let saved = await #expect(throws: StripeError.api) {
                try await client.reverseTransfer(id: transfer.id, idempotencyKey: "rev-saved")
            }
            #expect(saved?.isTransient == true)
            #expect(fake.requests("POST", "/v1/transfers/\(transfer.id)/reversals").count == 1)
            // The saved 500 is what the same key gets from now on; a new key reverses.
            await #expect(throws: StripeError.api) {
                try await client.reverseTransfer(id: transfer.id, idempotencyKey: "rev-saved")
            }
            #expect(fake.reversals.isEmpty)

            fake.failNext(1, status: 409)
            let reversal = try await client.reverseTransfer(id: transfer.id, idempotencyKey: "rev-new")
            #expect(reversal.amountMinor == 100)
            #expect(fake.requests("POST", "/v1/transfers/\(transfer.id)/reversals").count == 4)
        }
    }
}
