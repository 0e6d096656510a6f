import Payments
import TestSupport
import Testing

@Suite("Hyperswitch webhook signatures")
struct HyperswitchWebhookTests {
    static let secret = "whsec_vector_key"
    static let body = Array(
        #"{"merchant_id":"merchant_1","event_id":"evt_1","event_type":"payment_succeeded","content":{"type":"payment_details","object":{"payment_id":"pay_1","status":"succeeded","amount":999,"currency":"USD"}},"timestamp":"2026-12-02T10:00:00.000Z"}"#
            .utf8
    )
    /// From Python, independently of swift-crypto:
    /// `hmac.new(b"whsec_vector_key", body, hashlib.sha512).hexdigest()`
    static let signature =
        "ab61056e478545028979c293899b731f4181e31bce527d8c3b99b818ab3a22f27f85e80c6617a8ed9728fcdf45b498b8e13c2805e68b7f196b0de77430d1bb1f"
    /// `hmac.new(b"whsec_vector_key", b"", hashlib.sha512).hexdigest()`
    static let emptyBodySignature =
        "5156f7b2b5966dff0afe2a18ae3f611a585b077f530bdaa77e4d9d10e91f8f0eb49cb117e3b50275e1546e6ebc03c7f15ebb882e09c26a207b5c192a3e31eb26"

    @Test func knownVector() {
        #expect(HyperswitchWebhook.signature(body: Self.body, secret: Self.secret) == Self.signature)
        #expect(HyperswitchWebhook.verify(body: Self.body, signatureHeader: Self.signature, secret: Self.secret))
        // The fake signs with its own HMAC code: both agree with Python.
        #expect(FakeHyperswitch.sign(Self.body, secret: Self.secret) == Self.signature)
    }

    @Test func wrongSecretFails() {
        #expect(!HyperswitchWebhook.verify(body: Self.body, signatureHeader: Self.signature, secret: "whsec_other"))
        #expect(!HyperswitchWebhook.verify(body: Self.body, signatureHeader: Self.signature, secret: ""))
    }

    @Test(arguments: [0, 17, 100, body.count - 1])
    func oneFlippedBodyByteFails(index: Int) {
        var tampered = Self.body
        tampered[index] ^= 0x01
        #expect(!HyperswitchWebhook.verify(body: tampered, signatureHeader: Self.signature, secret: Self.secret))
    }

    @Test func oneFlippedSignatureCharacterFails() {
        var characters = Array(Self.signature)
        characters[40] = characters[40] == "0" ? "1" : "0"
        #expect(!HyperswitchWebhook.verify(body: Self.body, signatureHeader: String(characters), secret: Self.secret))
        // A truncated signature and one with extra characters fail too.
        #expect(
            !HyperswitchWebhook.verify(
                body: Self.body,
                signatureHeader: String(Self.signature.dropLast()),
                secret: Self.secret
            )
        )
        #expect(
            !HyperswitchWebhook.verify(body: Self.body, signatureHeader: Self.signature + "00", secret: Self.secret)
        )
    }

    @Test func missingOrEmptyHeaderFails() {
        #expect(!HyperswitchWebhook.verify(body: Self.body, signatureHeader: nil, secret: Self.secret))
        #expect(!HyperswitchWebhook.verify(body: Self.body, signatureHeader: "", secret: Self.secret))
        #expect(!HyperswitchWebhook.verify(body: Self.body, signatureHeader: "   ", secret: Self.secret))
    }

    @Test("uppercase hex is the same signature (Hyperswitch sends lowercase)")
    func uppercaseHexVerifies() {
        #expect(
            HyperswitchWebhook.verify(
                body: Self.body,
                signatureHeader: Self.signature.uppercased(),
                secret: Self.secret
            )
        )
    }

    @Test func emptyBody() {
        #expect(HyperswitchWebhook.signature(body: [UInt8](), secret: Self.secret) == Self.emptyBodySignature)
        #expect(
            HyperswitchWebhook.verify(body: [UInt8](), signatureHeader: Self.emptyBodySignature, secret: Self.secret)
        )
        #expect(!HyperswitchWebhook.verify(body: [UInt8](), signatureHeader: Self.signature, secret: Self.secret))
    }
}
