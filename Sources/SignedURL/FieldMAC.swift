import Crypto

/// HMAC-SHA256 over a list of fields, with a key derived per purpose.
///
/// Each field is written as its 4-byte big-endian length and then its bytes, so the split between
/// fields is part of what is signed: ("a", "bc") and ("ab", "c") give different MACs. An optional
/// field is a presence byte (0 or 1) before its value, so `nil` and `""` differ too.
///
/// The key for each purpose is `HMAC(secret, purpose label)`, so an app-signed URL can never be
/// replayed as a share token or the other way round, even with the same server secret.
struct FieldMAC: Sendable {
    /// Keyed once: copying a keyed `HMAC` skips hashing the padded key on every signature.
    private let keyed: HMAC<SHA256>

    init(secret: [UInt8], purpose: String) {
        let derived = HMAC<SHA256>.authenticationCode(for: Array(purpose.utf8), using: SymmetricKey(data: secret))
        self.keyed = HMAC<SHA256>(key: SymmetricKey(data: derived))
    }

    enum Field {
        case text(String)
        case optionalText(String?)
        case integer(Int64)
    }

    func authenticate(_ fields: [Field]) -> [UInt8] {
        var message: [UInt8] = []
        message.reserveCapacity(128)
        func appendLengthPrefixed(_ bytes: some Collection<UInt8>) {
            let length = UInt32(truncatingIfNeeded: bytes.count)
            message.append(UInt8(truncatingIfNeeded: length >> 24))
            message.append(UInt8(truncatingIfNeeded: length >> 16))
            message.append(UInt8(truncatingIfNeeded: length >> 8))
            message.append(UInt8(truncatingIfNeeded: length))
            message.append(contentsOf: bytes)
        }
        for field in fields {
            switch field {
            case .text(let text):
                appendLengthPrefixed(text.utf8)
            case .optionalText(nil):
                message.append(0)
            case .optionalText(let text?):
                message.append(1)
                appendLengthPrefixed(text.utf8)
            case .integer(let value):
                appendLengthPrefixed(String(value).utf8)
            }
        }
        var mac = self.keyed
        mac.update(data: message)
        return Array(mac.finalize())
    }

    /// Whether `mac` (base64url text from a client) is the MAC of `fields`, compared in constant time.
    func verify<Text: StringProtocol>(_ fields: [Field], base64URL mac: Text) -> Bool {
        // A SHA-256 MAC is 43 base64url characters; refuse anything else before decoding.
        guard mac.utf8.count == 43, let given = Base64URL.decode(mac) else {
            return false
        }
        return ConstantTime.equals(given, self.authenticate(fields))
    }
}

/// Unix seconds as the decimal text of a signed URL or token, and back.
enum UnixTime {
    /// Whole seconds, rounded down, clamped to 0...9_999_999_999 (year 2286) so that a nonsense `Date`
    /// cannot trap.
    static func seconds(_ interval: Double) -> Int64 {
        guard !interval.isNaN else { return 0 }
        return Int64(min(max(interval.rounded(.down), 0), 9_999_999_999))
    }

    /// Parses 1 to 10 ASCII digits; anything else (signs, spaces, longer numbers) is rejected.
    static func parse<Text: StringProtocol>(_ text: Text) -> Int64? {
        guard (1...10).contains(text.utf8.count) else { return nil }
        var value: Int64 = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
