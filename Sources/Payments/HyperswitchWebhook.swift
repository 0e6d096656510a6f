import Crypto
import Foundation
import NIOCore
import SignedURL

/// Verification of Hyperswitch's outgoing webhooks.
///
/// Hyperswitch serialises the event once, signs that string and sends the same bytes as the body,
/// with `X-Webhook-Signature-512` = lowercase hex of HMAC-SHA512 keyed with the business profile's
/// `payment_response_hash_key`. So the signature is checked over the **raw body bytes**, before any
/// parsing; a re-serialised parse would not match. No timestamp is signed, so there is no replay
/// window: redeliveries are expected and deduplicated on the event id by the receiver.
public enum HyperswitchWebhook {
    /// The header that carries the signature.
    public static let signatureHeader = "X-Webhook-Signature-512"

    /// Whether `signatureHeader` is the signature of `body` under `secret`.
    ///
    /// The header's hex is compared case-insensitively (Hyperswitch sends lowercase) and in constant
    /// time. A missing or empty header, or an empty secret, never verifies.
    ///
    /// - Parameters:
    ///   - body: The raw request body, exactly as received.
    ///   - signatureHeader: The value of `X-Webhook-Signature-512`, if present.
    ///   - secret: `HYPERSWITCH_WEBHOOK_SECRET` (the profile's payment_response_hash_key).
    /// - Returns: `true` only for a matching signature.
    public static func verify<Body: Collection>(
        body: Body,
        signatureHeader: String?,
        secret: String
    ) -> Bool where Body.Element == UInt8 {
        guard let header = signatureHeader?.trimmingCharacters(in: .whitespaces), !header.isEmpty, !secret.isEmpty
        else { return false }
        let expected = Array(Self.signature(body: body, secret: secret).utf8)
        return ConstantTime.equals(Array(header.lowercased().utf8), expected)
    }

    /// ``verify(body:signatureHeader:secret:)`` for a body in a `ByteBuffer`.
    public static func verify(body: ByteBuffer, signatureHeader: String?, secret: String) -> Bool {
        Self.verify(body: body.readableBytesView, signatureHeader: signatureHeader, secret: secret)
    }

    /// The lowercase hex HMAC-SHA512 of `body` keyed with the UTF-8 bytes of `secret`.
    public static func signature<Body: Collection>(body: Body, secret: String) -> String
    where Body.Element == UInt8 {
        var mac = HMAC<SHA512>(key: SymmetricKey(data: Array(secret.utf8)))
        mac.update(data: Array(body))
        return Hex.lowercase(mac.finalize())
    }
}
