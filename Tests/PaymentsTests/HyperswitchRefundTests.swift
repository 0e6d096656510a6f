import Foundation
import Payments
import TestSupport
import Testing

@Suite("Hyperswitch refunds against FakeHyperswitch")
struct HyperswitchRefundTests {
    /// A succeeded payment of 2500 at the fake.
    static func paidPayment(_ fake: FakeHyperswitch, client: HyperswitchClient, id: String) async throws {
        _ = try await client.createPayment(
            HyperswitchPaymentRequest(paymentID: id, amountMinor: 2500, currency: "EUR", customerID: "u"),
            idempotencyKey: id
        )
        fake.setPaymentStatus(id, "succeeded")
    }

    @Test func createAndRetrieveRefund() async throws {
        try await FakeHyperswitch.with { fake in
            let client = PaymentsTestClient.hyperswitch(fake)
            try await Self.paidPayment(fake, client: client, id: "ord_1")
            let refund = try await client.createRefund(
                HyperswitchRefundRequest(
                    refundID: "rf_1",
                    paymentID: "ord_1",
                    amountMinor: 1000,
                    reason: "requested_by_customer"
                ),
                idempotencyKey: "rf_1"
            )
            #expect(refund.refundID == "rf_1")
            #expect(refund.paymentID == "ord_1")
            #expect(refund.amountMinor == 1000)
            #expect(refund.currency == "EUR")
            #expect(refund.status == .pending)
            #expect(refund.reason == "requested_by_customer")

            let sent = try #require(fake.requests("POST", "/refunds").first)
            #expect(sent.header("Idempotency-Key") == "rf_1")
            #expect(sent.header("api-key") == fake.apiKey)
            let body = try #require(sent.jsonObject)
            #expect(Set(body.keys) == ["payment_id", "refund_id", "amount", "reason"])

            fake.setRefundStatus("rf_1", "succeeded")
            let read = try await client.retrieveRefund(id: "rf_1")
            #expect(read.status == .succeeded)
            #expect(read.status.isTerminal)
        }
    }

    @Test("no amount: the whole payment is refunded (Hyperswitch's default)")
    func fullRefundByDefault() async throws {
        try await FakeHyperswitch.with { fake in
            let client = PaymentsTestClient.hyperswitch(fake)
            try await Self.paidPayment(fake, client: client, id: "ord_full")
            let refund = try await client.createRefund(
                HyperswitchRefundRequest(refundID: "rf_full", paymentID: "ord_full", amountMinor: nil),
                idempotencyKey: "rf_full"
            )
            #expect(refund.amountMinor == 2500)
            let body = try #require(fake.requests("POST", "/refunds").first?.jsonObject)
            #expect(body["amount"] == nil)
        }
    }

    @Test("HE_01 for our refund_id: the existing refund is returned")
    func duplicateRefundID() async throws {
        try await FakeHyperswitch.with { fake in
            let client = PaymentsTestClient.hyperswitch(fake)
            try await Self.paidPayment(fake, client: client, id: "ord_2")
            let request = HyperswitchRefundRequest(refundID: "rf_2", paymentID: "ord_2", amountMinor: 2500)
            let first = try await client.createRefund(request, idempotencyKey: "a")
            let second = try await client.createRefund(request, idempotencyKey: "b")
            #expect(first == second)
            #expect(fake.refunds.count == 1)
            #expect(fake.requests("GET", "/refunds/rf_2").count == 1)
        }
    }

    @Test func refundErrors() async throws {
        try await FakeHyperswitch.with { fake in
            let client = PaymentsTestClient.hyperswitch(fake)
            _ = try await client.createPayment(
                HyperswitchPaymentRequest(paymentID: "ord_unpaid", amountMinor: 100, currency: "USD", customerID: "u"),
                idempotencyKey: "ord_unpaid"
            )
            let unpaid = await #expect(throws: HyperswitchError.self) {
                try await client.createRefund(
                    HyperswitchRefundRequest(refundID: "rf_3", paymentID: "ord_unpaid", amountMinor: nil),
                    idempotencyKey: "rf_3"
                )
            }
            #expect(unpaid?.code == "HE_03")
            let unknown = await #expect(throws: HyperswitchError.self) {
                try await client.createRefund(
                    HyperswitchRefundRequest(refundID: "rf_4", paymentID: "nope", amountMinor: nil),
                    idempotencyKey: "rf_4"
                )
            }
            #expect(unknown?.isNotFound == true)
            let missing = await #expect(throws: HyperswitchError.self) { try await client.retrieveRefund(id: "rf_x") }
            #expect(missing?.code == "HE_02")
            #expect(missing?.message == "Refund does not exist in our records")
            #expect(fake.refunds.isEmpty)
        }
    }
}
