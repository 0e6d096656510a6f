/// Base64url without padding (RFC 4648 §5), the form of MACs in app-signed URLs and share tokens:
/// it needs no percent-encoding in a path or query.
enum Base64URL {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8
    )

    static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= input.count {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            out.append(Self.alphabet[Int(value >> 18 & 0x3F)])
            out.append(Self.alphabet[Int(value >> 12 & 0x3F)])
            out.append(Self.alphabet[Int(value >> 6 & 0x3F)])
            out.append(Self.alphabet[Int(value & 0x3F)])
            index += 3
        }
        let remaining = input.count - index
        if remaining == 1 {
            let value = UInt32(input[index]) << 16
            out.append(Self.alphabet[Int(value >> 18 & 0x3F)])
            out.append(Self.alphabet[Int(value >> 12 & 0x3F)])
        } else if remaining == 2 {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
            out.append(Self.alphabet[Int(value >> 18 & 0x3F)])
            out.append(Self.alphabet[Int(value >> 12 & 0x3F)])
            out.append(Self.alphabet[Int(value >> 6 & 0x3F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes strictly: no padding, no other characters, and unused trailing bits must be zero, so
    /// each byte string has exactly one accepted encoding (a MAC cannot be re-spelled).
    static func decode<Text: StringProtocol>(_ text: Text) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 != 1 else {
            return nil
        }
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in input {
            guard let value = Self.value(of: byte) else {
                return nil
            }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
                buffer &= (1 << UInt32(bits)) - 1
            }
        }
        guard buffer == 0 else {
            return nil
        }
        return out
    }

    private static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): return 62
        case UInt8(ascii: "_"): return 63
        default: return nil
        }
    }
}
