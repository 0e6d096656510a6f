import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore

/// An outgoing webhook as Hyperswitch would send it: the exact body bytes and their signature.
public struct FakeHyperswitchWebhook: Sendable {
    public var eventID: String
    public var eventType: String
    /// The raw body, signed as it is.
    public var body: [UInt8]
    /// `X-Webhook-Signature-512`: lowercase hex HMAC-SHA512 of `body` under the webhook secret.
    public var signature: String?

    /// The headers Hyperswitch sends with it (the signature only when set).
    public var headers: [(String, String)] {
        var headers = [("Content-Type", "application/json"), ("User-Agent", "Hyperswitch-Backend-Server")]
        if let signature { headers.append(("X-Webhook-Signature-512", signature)) }
        return headers
    }

    /// POSTs the webhook to `url` (the product's webhook route), as Hyperswitch does.
    ///
    /// - Returns: The status and body of the answer.
    public func send(to url: URL, httpClient: HTTPClient = .shared) async throws -> (status: Int, body: [UInt8]) {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        for (name, value) in self.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: self.body))
        // Hyperswitch gives up after 5 s.
        let response = try await httpClient.execute(request, timeout: .seconds(5))
        var body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), body.readBytes(length: body.readableBytes) ?? [])
    }
}

extension FakeHyperswitch {
    /// The lowercase hex HMAC-SHA512 of `body` keyed with `secret`'s UTF-8 bytes, as Hyperswitch
    /// computes it (written here independently of the Payments module, so that tests cross-check it).
    public static func sign(_ body: [UInt8], secret: String) -> String {
        let mac = HMAC<SHA512>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// The event type Hyperswitch raises for a payment status (`nil` for statuses that raise none).
    public static func eventType(forPaymentStatus status: String) -> String? {
        switch status {
        case "succeeded": "payment_succeeded"
        case "failed": "payment_failed"
        case "processing": "payment_processing"
        case "cancelled": "payment_cancelled"
        case "requires_customer_action", "requires_merchant_action": "action_required"
        case "requires_capture": "payment_authorized"
        case "expired": "payment_expired"
        default: nil
        }
    }

    /// A signed `payment_details` webhook for a stored payment in its current status.
    ///
    /// - Parameters:
    ///   - id: The payment.
    ///   - eventType: Defaults to the one Hyperswitch raises for the payment's status.
    ///   - eventID: Defaults to a fresh `evt_…` id. A redelivery is the same value sent again (the
    ///     same bytes, as Hyperswitch resends); a new call with the same id has a new timestamp.
    public func webhook(
        forPayment id: String,
        eventType: String? = nil,
        eventID: String? = nil
    ) -> FakeHyperswitchWebhook? {
        guard let payment = self.payment(id) else { return nil }
        let type = eventType ?? Self.eventType(forPaymentStatus: payment.status) ?? "payment_processing"
        return self.webhook(type: type, content: "payment_details", object: self.render(payment), eventID: eventID)
    }

    /// ``webhook(forPayment:eventType:eventID:)``: the webhook of a payment, the usual case.
    public func webhook(
        for paymentID: String,
        eventType: String? = nil,
        eventID: String? = nil
    )
        -> FakeHyperswitchWebhook?
    {
        self.webhook(forPayment: paymentID, eventType: eventType, eventID: eventID)
    }

    /// A signed `refund_details` webhook for a stored refund in its current status.
    public func webhook(
        forRefund id: String,
        eventType: String? = nil,
        eventID: String? = nil
    ) -> FakeHyperswitchWebhook? {
        guard let refund = self.refund(id) else { return nil }
        let type = eventType ?? (refund.status == "failed" ? "refund_failed" : "refund_succeeded")
        return self.webhook(type: type, content: "refund_details", object: self.render(refund), eventID: eventID)
    }

    /// The body of `OutgoingWebhook` (`crates/api_models/src/webhooks.rs`), fields in serde's order.
    func webhook(type: String, content: String, object: OrderedJSON, eventID: String?) -> FakeHyperswitchWebhook {
        let id = eventID ?? ("evt_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())
        let body = OrderedJSON.object([
            ("merchant_id", .string(self.merchantID)),
            ("event_id", .string(id)),
            ("event_type", .string(type)),
            ("content", .object([("type", .string(content)), ("object", object)])),
            ("timestamp", .string(Self.timestamp(Date()))),
            ("processor_merchant_id", .null),
        ]).bytes
        return FakeHyperswitchWebhook(
            eventID: id,
            eventType: type,
            body: body,
            signature: Self.sign(body, secret: self.webhookSecret)
        )
    }
}
