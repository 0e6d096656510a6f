import Foundation
import Payments
import TestSupport
import Testing

@Suite("HyperswitchClient against FakeHyperswitch")
struct HyperswitchClientTests {
    static func request(_ id: String = "inv_" + UUID().uuidString.lowercased()) -> HyperswitchPaymentRequest {
        HyperswitchPaymentRequest(
            paymentID: id,
            amountMinor: 999,
            currency: "usd",
            customerID: "user_42",
            metadata: ["subscription_id": "sub_1", "kind": "subscription"]
        )
    }

    @Test func createPaymentSendsTheWireFields() async throws {
        try await FakeHyperswitch.with { fake in
            let client = PaymentsTestClient.hyperswitch(fake)
            let payment = try await client.createPayment(Self.request("inv_1"), idempotencyKey: "sub_1")
            #expect(payment.id == "inv_1")
            #expect(payment.status == .requiresPaymentMethod)
            #expect(payment.amountMinor == 999)
            #expect(payment.currency == "USD")
            #expect(payment.clientSecret?.hasPrefix("inv_1_secret_") == true)
            #expect(payment.metadata == ["subscription_id": "sub_1", "kind": "subscription"])

            let sent = try #require(fake.requests("POST", "/payments").first)
            #expect(sent.header("api-key") == fake.apiKey)
            #expect(sent.header("Idempotency-Key") == "sub_1")
            #expect(sent.header("Content-Type") == "application/json")
            let body = try #require(sent.jsonObject)
            #expect(body["payment_id"] as? String == "inv_1")
            #expect((body["amount"] as? NSNumber)?.int64Value == 999)
            #expect(body["currency"] as? String == "USD")
            #expect(body["customer_id"] as? String == "user_42")
            #expect(body["confirm"] as? Bool == false)
            #expect(body["metadata"] as? [String: String] == ["subscription_id": "sub_1", "kind": "subscription"])
            #expect(Set(body.keys) == ["payment_id", "amount", "currency", "customer_id", "confirm", "metadata"])
        }
    }

    @Test func retrievePayment() async throws {
        try await FakeHyperswitch.with { fake in
            let client = PaymentsTestClient.hyperswitch(fake)
            _ = try await client.createPayment(Self.request("inv/odd id"), idempotencyKey: "k")
            fake.setPaymentStatus("inv/odd id", "succeeded")
            let payment = try await client.retrievePayment(id: "inv/odd id")
            #expect(payment.status == .succeeded)
            // The id is one path segment, percent-encoded.
            #expect(fake.requests("GET", "/payments/inv/odd id").count == 1)

            let missing = await #expect(throws: HyperswitchError.self) {
                try await client.retrievePayment(id: "inv_missing")
            }
            #expect(missing?.code == "HE_02")
            #expect(missing?.httpStatus == 404)
            #expect(missing?.isNotFound == true)
            #expect(missing?.message == "Payment does not exist in our records")
        }
    }

    @Test("the same Idempotency-Key is replayed: one payment")
    func idempotentReplay() async throws {
        try await FakeHyperswitch.with { fake in
            let client = PaymentsTestClient.hyperswitch(fake)
            let request = Self.request()
            let first = try await client.createPayment(request, idempotencyKey: "sub_9")
            let second = try await client.createPayment(request, idempotencyKey: "sub_9")
            #expect(first == second)
            #expect(fake.payments.count == 1)
            #expect(fake.requests("POST", "/payments").count == 2)
            // No GET: the replay answered with the first response.
            #expect(fake.requests.filter { $0.method == "GET" }.isEmpty)

            // The same key with other parameters is refused, as an idempotency layer does.
            var other = request
            other.amountMinor = 5
            let error = await #expect(throws: HyperswitchError.self) {
                try await client.createPayment(other, idempotencyKey: "sub_9")
            }
            #expect(error?.code == FakeHyperswitch.idempotencyReuseCode)
            #expect(error?.httpStatus == 400)
        }
    }

    @Test("HE_01 for our payment_id: the client returns the existing payment")
    func duplicatePaymentIDReadsTheExistingOne() async throws {
        try await FakeHyperswitch.with { fake in
            let client = PaymentsTestClient.hyperswitch(fake)
            let request = Self.request("inv_dup")
            let first = try await client.createPayment(request, idempotencyKey: "attempt-1")
            // Another key (e.g. a replay store that forgot): the provider detects the id.
            let again = try await client.createPayment(request, idempotencyKey: "attempt-2")
            #expect(again == first)
            #expect(fake.payments.count == 1)
            #expect(fake.requests("GET", "/payments/inv_dup").count == 1)

            // The same id for another amount is a bug on our side, not a success.
            var conflicting = request
            conflicting.amountMinor = 1
            let error = await #expect(throws: HyperswitchError.self) {
                try await client.createPayment(conflicting, idempotencyKey: "attempt-3")
            }
            #expect(error?.code == "conflicting_duplicate")
        }
    }

    @Test("5xx then success: retried, one payment")
    func serverErrorsAreRetried() async throws {
        try await FakeHyperswitch.with { fake in
            let client = PaymentsTestClient.hyperswitch(fake)
            fake.failNext(2)
            let payment = try await client.createPayment(Self.request("inv_retry"), idempotencyKey: "k1")
            #expect(payment.id == "inv_retry")
            #expect(fake.requests("POST", "/payments").count == 3)
            #expect(fake.payments.count == 1)

            fake.failNext(1, status: 503)
            #expect(try await client.retrievePayment(id: "inv_retry").id == "inv_retry")
            #expect(fake.requests("GET", "/payments/inv_retry").count == 2)

            // More failures than attempts: the provider's error surfaces, marked transient.
            fake.failNext(10)
            let error = await #expect(throws: HyperswitchError.self) {
                try await client.retrievePayment(id: "inv_retry")
            }
            #expect(error?.code == "HE_00")
            #expect(error?.isTransient == true)
            #expect(fake.requests("GET", "/payments/inv_retry").count == 5)
        }
    }

    @Test("4xx is not retried")
    func clientErrorsAreNotRetried() async throws {
        try await FakeHyperswitch.with { fake in
            let client = PaymentsTestClient.hyperswitch(fake, apiKey: "wrong")
            let error = await #expect(throws: HyperswitchError.self) {
                try await client.createPayment(Self.request(), idempotencyKey: "k")
            }
            #expect(error?.httpStatus == 401)
            #expect(error?.code == "IR_01")
            #expect(error?.isTransient == false)
            #expect(fake.requests.count == 1)
            #expect(fake.payments.isEmpty)
            // The key is not in the message.
            #expect(error.map { !"\($0)".contains("wrong") } == true)

            let good = PaymentsTestClient.hyperswitch(fake)
            var bad = Self.request()
            bad.amountMinor = 0
            await #expect(throws: HyperswitchError.self) { try await good.createPayment(bad, idempotencyKey: "k0") }
            #expect(fake.requests.count == 2)
        }
    }

    @Test("an empty idempotency key is refused before any I/O")
    func emptyKeyIsRefused() async throws {
        try await FakeHyperswitch.with { fake in
            let client = PaymentsTestClient.hyperswitch(fake)
            let payment = await #expect(throws: HyperswitchError.self) {
                try await client.createPayment(Self.request(), idempotencyKey: "")
            }
            #expect(payment?.code == "missing_idempotency_key")
            let refund = await #expect(throws: HyperswitchError.self) {
                try await client.createRefund(
                    HyperswitchRefundRequest(refundID: "r", paymentID: "p", amountMinor: nil),
                    idempotencyKey: ""
                )
            }
            #expect(refund?.code == "missing_idempotency_key")
            #expect(fake.requests.isEmpty)
        }
    }

    @Test func transportFailuresAreTyped() async throws {
        // Port 1 (tcpmux): nothing listens there.
        let client = HyperswitchClient(
            baseURL: URL(string: "http://127.0.0.1:1")!,
            apiKey: "k",
            httpClient: .shared,
            logger: PaymentsTestClient.logger,
            retry: PaymentsTestClient.quickRetry,
            // AsyncHTTPClient keeps trying a refused connection until the deadline.
            timeout: .milliseconds(500)
        )
        let started = ContinuousClock.now
        let error = await #expect(throws: HyperswitchError.self) { try await client.retrievePayment(id: "p") }
        #expect(error?.type == "transport")
        #expect(error?.isTransient == true)
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
