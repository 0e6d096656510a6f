import Foundation
import Payments
import TestSupport
import Testing

@Suite("Hyperswitch webhook events")
struct HyperswitchEventTests {
    @Test func paymentEvent() throws {
        let body = #"""
            {"merchant_id":"merchant_1","event_id":"evt_018e","event_type":"payment_succeeded",
             "content":{"type":"payment_details","object":{"payment_id":"inv_1","merchant_id":"merchant_1",
             "status":"succeeded","amount":999,"net_amount":999,"currency":"USD","client_secret":"inv_1_secret_x",
             "metadata":{"subscription_id":"sub_1","attempt":2,"nested":{"a":1}},"attempt_count":1}},
             "timestamp":"2026-12-02T10:00:00.123Z","processor_merchant_id":null}
            """#
        let event = try HyperswitchEvent.decode(Array(body.utf8))
        #expect(event.eventID == "evt_018e")
        #expect(event.eventType == "payment_succeeded")
        #expect(event.kind == .payment)
        #expect(event.paymentID == "inv_1")
        #expect(event.refundID == nil)
        #expect(event.paymentStatus == .succeeded)
        #expect(event.refundStatus == nil)
        #expect(event.amountMinor == 999)
        #expect(event.currency == "USD")
        #expect(event.metadata == ["subscription_id": "sub_1", "attempt": "2"])
        #expect(event.merchantID == "merchant_1")
        #expect(event.timestamp == "2026-12-02T10:00:00.123Z")
    }

    @Test func refundEvent() throws {
        let body = #"""
            {"merchant_id":"m","event_id":"evt_2","event_type":"refund_succeeded","content":{"type":"refund_details",
             "object":{"refund_id":"ref_1","payment_id":"pay_1","amount":500,"currency":"EUR","status":"succeeded",
             "reason":null,"metadata":null,"error_message":null}},"timestamp":"2026-12-02T10:00:00Z"}
            """#
        let event = try HyperswitchEvent.decode(Array(body.utf8))
        #expect(event.kind == .refund)
        #expect(event.refundID == "ref_1")
        #expect(event.paymentID == "pay_1")
        #expect(event.refundStatus == .succeeded)
        #expect(event.paymentStatus == nil)
        #expect(event.metadata.isEmpty)
    }

    @Test("other kinds decode, even with fields typed differently (a dispute's amount is a string)")
    func otherEvent() throws {
        let body = #"""
            {"merchant_id":"m","event_id":"evt_3","event_type":"dispute_opened","content":{"type":"dispute_details",
             "object":{"dispute_id":"dp_1","payment_id":"pay_9","amount":"1000","currency":"USD",
             "dispute_status":"dispute_opened"}},"timestamp":"2026-12-02T10:00:00Z"}
            """#
        let event = try HyperswitchEvent.decode(Array(body.utf8))
        #expect(event.kind == .other)
        #expect(event.contentType == "dispute_details")
        #expect(event.paymentID == "pay_9")
        #expect(event.amountMinor == nil)
        #expect(event.status == "")
    }

    @Test(arguments: [
        "not json",
        "{}",
        #"{"event_id":"e","event_type":"payment_succeeded"}"#,
        #"{"event_id":"e","event_type":"payment_succeeded","content":{"type":"payment_details","object":{"status":"succeeded"}}}"#,
        #"{"event_id":"e","event_type":"payment_succeeded","content":{"type":"payment_details","object":{"payment_id":"p"}}}"#,
        #"{"event_id":"e","event_type":"refund_succeeded","content":{"type":"refund_details","object":{"payment_id":"p","status":"succeeded"}}}"#,
        #"{"event_id":1,"event_type":"payment_succeeded","content":{"type":"payment_details","object":{"payment_id":"p","status":"s"}}}"#,
    ])
    func malformedBodiesThrow(body: String) {
        #expect(throws: (any Error).self) { try HyperswitchEvent.decode(Array(body.utf8)) }
    }

    @Test("the fake's webhooks decode and verify")
    func fakeWebhookRoundTrip() async throws {
        try await FakeHyperswitch.with { fake in
            let client = PaymentsTestClient.hyperswitch(fake)
            let payment = try await client.createPayment(
                HyperswitchPaymentRequest(
                    paymentID: "inv_webhook",
                    amountMinor: 1999,
                    currency: "USD",
                    customerID: "user_1",
                    metadata: ["subscription_id": "s1"]
                ),
                idempotencyKey: "s1"
            )
            fake.setPaymentStatus(payment.id, "succeeded")
            let webhook = try #require(fake.webhook(forPayment: payment.id))
            #expect(
                HyperswitchWebhook.verify(
                    body: webhook.body,
                    signatureHeader: webhook.signature,
                    secret: fake.webhookSecret
                )
            )
            let event = try HyperswitchEvent.decode(webhook.body)
            #expect(event.eventID == webhook.eventID)
            #expect(event.eventType == "payment_succeeded")
            #expect(event.paymentID == "inv_webhook")
            #expect(event.paymentStatus == .succeeded)
            #expect(event.amountMinor == 1999)
            #expect(event.metadata == ["subscription_id": "s1"])
        }
    }

    @Test("send(to:) POSTs the exact signed bytes with Hyperswitch's headers")
    func fakeWebhookDelivery() async throws {
        try await FakeHyperswitch.with { fake in
            let received = ReceivedRequests()
            let receiver = try await FakeHTTPServer.start { request in
                received.append(request)
                return FakeHTTPResponse(status: 204)
            }
            do {
                _ = try await PaymentsTestClient.hyperswitch(fake).createPayment(
                    HyperswitchPaymentRequest(
                        paymentID: "inv_send",
                        amountMinor: 500,
                        currency: "USD",
                        customerID: "u"
                    ),
                    idempotencyKey: "inv_send"
                )
                fake.setPaymentStatus("inv_send", "failed")
                let webhook = try #require(fake.webhook(for: "inv_send"))
                #expect(webhook.eventType == "payment_failed")
                let answer = try await webhook.send(
                    to: receiver.url.appendingPathComponent("api/v1/webhooks/hyperswitch")
                )
                #expect(answer.status == 204)
                // A redelivery is the same bytes.
                _ = try await webhook.send(to: receiver.url.appendingPathComponent("api/v1/webhooks/hyperswitch"))
                let requests = received.all
                #expect(requests.count == 2)
                let first = try #require(requests.first)
                #expect(first.method == "POST")
                #expect(first.path == "/api/v1/webhooks/hyperswitch")
                #expect(first.header("Content-Type") == "application/json")
                #expect(first.body == webhook.body)
                #expect(requests.last?.body == first.body)
                #expect(
                    HyperswitchWebhook.verify(
                        body: first.body,
                        signatureHeader: first.header("X-Webhook-Signature-512"),
                        secret: fake.webhookSecret
                    )
                )
                #expect(try HyperswitchEvent.decode(first.body).paymentStatus == .failed)
            } catch {
                await receiver.shutdown()
                throw error
            }
            await receiver.shutdown()
        }
    }

    @Test func statusSets() {
        #expect(HyperswitchPaymentStatus.succeeded.isTerminal && HyperswitchPaymentStatus.succeeded.isSucceeded)
        #expect(HyperswitchPaymentStatus.expired.isFailed && HyperswitchPaymentStatus.cancelled.isFailed)
        #expect(!HyperswitchPaymentStatus.requiresPaymentMethod.isTerminal)
        #expect(HyperswitchPaymentStatus.partiallyCaptured.isTerminal)
        #expect(
            !HyperswitchPaymentStatus.partiallyCaptured.isSucceeded
                && !HyperswitchPaymentStatus.partiallyCaptured.isFailed
        )
        let future = HyperswitchPaymentStatus(rawValue: "requires_something_new")
        #expect(!future.isKnown && !future.isTerminal && !future.isFailed && !future.isSucceeded)
        #expect(HyperswitchRefundStatus.pending.isKnown && !HyperswitchRefundStatus.review.isTerminal)
        #expect(HyperswitchRefundStatus.failed.isFailed && HyperswitchRefundStatus.failed.isTerminal)
    }
}

/// Requests a test receiver saw.
final class ReceivedRequests: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [FakeHTTPRequest] = []

    func append(_ request: FakeHTTPRequest) { self.lock.withLock { self.requests.append(request) } }
    var all: [FakeHTTPRequest] { self.lock.withLock { self.requests } }
}
