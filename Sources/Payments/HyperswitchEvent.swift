import Foundation

/// An outgoing webhook from Hyperswitch, as sent (`OutgoingWebhook` in `crates/api_models/src/webhooks.rs`):
///
/// ```json
/// {"merchant_id":"merchant_1","event_id":"evt_1","event_type":"payment_succeeded",
///  "content":{"type":"payment_details","object":{"payment_id":"…","status":"succeeded","amount":999,…}},
///  "timestamp":"2026-12-02T10:00:00.000Z"}
/// ```
///
/// Decode it only from a body whose signature ``HyperswitchWebhook/verify(body:signatureHeader:secret:)``
/// accepted. Delivery is at least once and a retry resends the same bytes, so ``eventID`` is the
/// deduplication key.
public struct HyperswitchEvent: Decodable, Sendable, Equatable {
    /// What the event is about (`content.type`).
    public enum Kind: String, Sendable, Equatable {
        /// `payment_details`: the object is a payment.
        case payment
        /// `refund_details`: the object is a refund.
        case refund
        /// Disputes, mandates, payouts and anything newer: not handled by this product.
        case other
    }

    public var merchantID: String?
    /// `event_id`: the same on every redelivery of this event.
    public var eventID: String
    /// `event_type`, e.g. `payment_succeeded`, `payment_failed`, `refund_succeeded`.
    public var eventType: String
    public var kind: Kind
    /// `content.type` as sent (`payment_details`, `refund_details`, `dispute_details`, …).
    public var contentType: String
    /// `content.object.payment_id`; empty only for an ``Kind/other`` event whose object has none.
    public var paymentID: String
    /// `content.object.refund_id`, for refund events.
    public var refundID: String?
    /// `content.object.status`: a payment status for payment events, a refund status for refund
    /// events (see ``paymentStatus`` and ``refundStatus``); empty when absent from an other event.
    public var status: String
    /// `content.object.amount`, in minor units, when present.
    public var amountMinor: Int64?
    public var currency: String?
    /// String values of `content.object.metadata`.
    public var metadata: [String: String]
    /// `timestamp` as sent (ISO 8601).
    public var timestamp: String?

    /// The status of a payment event.
    public var paymentStatus: HyperswitchPaymentStatus? {
        self.kind == .payment ? HyperswitchPaymentStatus(rawValue: self.status) : nil
    }

    /// The status of a refund event.
    public var refundStatus: HyperswitchRefundStatus? {
        self.kind == .refund ? HyperswitchRefundStatus(rawValue: self.status) : nil
    }

    /// Decodes a webhook body.
    ///
    /// - Throws: `DecodingError` for a body that is not a Hyperswitch event (no event id, a payment
    ///   or refund event without its ids or status).
    public static func decode<Body: Collection>(_ body: Body) throws -> HyperswitchEvent where Body.Element == UInt8 {
        try JSONDecoder().decode(HyperswitchEvent.self, from: Data(body))
    }

    private enum CodingKeys: String, CodingKey {
        case merchantID = "merchant_id"
        case eventID = "event_id"
        case eventType = "event_type"
        case content, timestamp
    }

    private struct Content: Decodable {
        var type: String
        var object: Object?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.type = try container.decode(String.self, forKey: .type)
            self.object = try? container.decodeIfPresent(Object.self, forKey: .object)
        }

        enum CodingKeys: String, CodingKey { case type, object }
    }

    /// Read leniently, field by field: other kinds of object type their fields differently (a
    /// dispute's `amount` is a string), and such an event must still decode, as ``Kind/other``.
    private struct Object: Decodable {
        var paymentID: String?
        var refundID: String?
        var status: String?
        var amount: Int64?
        var currency: String?
        var metadata: StringMetadata?

        enum CodingKeys: String, CodingKey {
            case paymentID = "payment_id"
            case refundID = "refund_id"
            case status, amount, currency, metadata
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.paymentID = try? container.decodeIfPresent(String.self, forKey: .paymentID)
            self.refundID = try? container.decodeIfPresent(String.self, forKey: .refundID)
            self.status = try? container.decodeIfPresent(String.self, forKey: .status)
            self.amount = try? container.decodeIfPresent(Int64.self, forKey: .amount)
            self.currency = try? container.decodeIfPresent(String.self, forKey: .currency)
            self.metadata = try? container.decodeIfPresent(StringMetadata.self, forKey: .metadata)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.merchantID = try container.decodeIfPresent(String.self, forKey: .merchantID)
        self.eventID = try container.decode(String.self, forKey: .eventID)
        self.eventType = try container.decode(String.self, forKey: .eventType)
        self.timestamp = try? container.decodeIfPresent(String.self, forKey: .timestamp)
        let content = try container.decode(Content.self, forKey: .content)
        self.contentType = content.type
        switch content.type {
        case "payment_details": self.kind = .payment
        case "refund_details": self.kind = .refund
        default: self.kind = .other
        }
        let object = content.object
        if self.kind != .other {
            func require(_ value: String?, _ field: String) throws -> String {
                guard let value, !value.isEmpty else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .content,
                        in: container,
                        debugDescription: "content.object.\(field) is missing from a \(content.type) event"
                    )
                }
                return value
            }
            self.paymentID = try require(object?.paymentID, "payment_id")
            self.status = try require(object?.status, "status")
            self.refundID = self.kind == .refund ? try require(object?.refundID, "refund_id") : nil
        } else {
            self.paymentID = object?.paymentID ?? ""
            self.status = object?.status ?? ""
            self.refundID = object?.refundID
        }
        self.amountMinor = object?.amount
        self.currency = object?.currency
        self.metadata = object?.metadata?.values ?? [:]
    }
}
