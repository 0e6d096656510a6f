/// Percent-encoding as AWS Signature Version 4 defines it (`UriEncode` in the S3 documentation).
///
/// Every byte of the UTF-8 form is encoded as `%XY` with uppercase hex, except the unreserved
/// characters `A-Z a-z 0-9 - . _ ~`; a space is `%20`, never `+`. In a path `/` is kept. Foundation's
/// `URLComponents` follows RFC 3986's looser sets (it leaves `+`, `!`, `$`, `'`, `(`, `)`, `*` … as they
/// are), so a URL built with it does not match the signature S3 computes.
public enum AWSURIEncoding {
    /// Encodes an unencoded path, keeping every `/`.
    ///
    /// S3 does not normalise paths, so `.`/`..` segments and repeated slashes are kept as they are.
    ///
    /// - Parameter path: The path as plain text, e.g. `/bucket/my key+é`.
    /// - Returns: The encoded path, e.g. `/bucket/my%20key%2B%C3%A9`.
    public static func encodePath(_ path: String) -> String {
        Self.encode(path, keepingSlash: true)
    }

    /// Encodes one unencoded query key or value (a `/` becomes `%2F`).
    ///
    /// - Parameter component: The key or value as plain text.
    /// - Returns: The encoded text.
    public static func encode(_ component: String) -> String {
        Self.encode(component, keepingSlash: false)
    }

    /// Builds a canonical query string from unencoded pairs: each key and value encoded, the pairs
    /// sorted by encoded key and then by encoded value, joined as `k=v&k2=v2`.
    ///
    /// A valueless parameter such as `?lifecycle` is the pair `("lifecycle", "")` and comes out as
    /// `lifecycle=`, as SigV4 requires.
    ///
    /// - Parameter items: The query parameters as plain text, in any order.
    /// - Returns: The canonical query string (empty when there are no items).
    public static func canonicalQuery(_ items: [(String, String)]) -> String {
        Self.joinSorted(items.map { (Self.encode($0.0), Self.encode($0.1)) })
    }
}

extension AWSURIEncoding {
    private static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)

    @inline(__always)
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    @inline(__always)
    private static func append(_ byte: UInt8, to out: inout [UInt8]) {
        if Self.isUnreserved(byte) {
            out.append(byte)
        } else {
            out.append(UInt8(ascii: "%"))
            out.append(Self.upperHex[Int(byte >> 4)])
            out.append(Self.upperHex[Int(byte & 0x0F)])
        }
    }

    private static func encode(_ text: String, keepingSlash: Bool) -> String {
        let slash = UInt8(ascii: "/")
        // Most keys and parameters need no encoding at all; return them without allocating.
        if text.utf8.allSatisfy({ Self.isUnreserved($0) || (keepingSlash && $0 == slash) }) {
            return text
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            if keepingSlash && byte == slash {
                out.append(byte)
            } else {
                Self.append(byte, to: &out)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Puts text that is meant to be encoded already into canonical form: valid `%XY` escapes are
    /// decoded and every byte is encoded again by the SigV4 rules.
    ///
    /// This is what the server does before it compares signatures, so `%7e`, `%41` or a stray raw
    /// byte in the caller's URL cannot make our canonical request differ from the server's. A decoded
    /// `%2F` stays `%2F` in a path: only a literal `/` separates segments.
    static func canonicalize<Text: StringProtocol>(encoded text: Text, keepingSlash: Bool) -> String {
        let slash = UInt8(ascii: "/")
        let percent = UInt8(ascii: "%")
        if text.utf8.allSatisfy({ Self.isUnreserved($0) || (keepingSlash && $0 == slash) }) {
            return String(text)
        }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == percent, index + 2 < bytes.count,
                let high = Self.hexValue(bytes[index + 1]), let low = Self.hexValue(bytes[index + 2])
            {
                Self.append(high << 4 | low, to: &out)
                index += 3
                continue
            }
            // A `%` without two hex digits after it is a literal percent sign.
            if keepingSlash && byte == slash {
                out.append(byte)
            } else {
                Self.append(byte, to: &out)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    /// Canonical form of a raw query string whose pieces are already encoded: split on `&` and the
    /// first `=`, each piece re-canonicalised, empty pieces (`a=1&&b=2`) dropped.
    static func canonicalPairs<Text: StringProtocol>(fromEncodedQuery query: Text) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for piece in query.split(separator: "&", omittingEmptySubsequences: true) {
            if let equals = piece.firstIndex(of: "=") {
                let key = piece[..<equals]
                let value = piece[piece.index(after: equals)...]
                pairs.append(
                    (
                        Self.canonicalize(encoded: key, keepingSlash: false),
                        Self.canonicalize(encoded: value, keepingSlash: false)
                    )
                )
            } else {
                pairs.append((Self.canonicalize(encoded: piece, keepingSlash: false), ""))
            }
        }
        return pairs
    }

    /// Sorts encoded pairs by key, then value, comparing bytes (`Param` < `Param-3`, which sorting the
    /// joined `k=v` strings gets wrong), and joins them.
    static func joinSorted(_ pairs: [(String, String)]) -> String {
        let sorted = pairs.sorted { lhs, rhs in
            if lhs.0.utf8.elementsEqual(rhs.0.utf8) {
                return lhs.1.utf8.lexicographicallyPrecedes(rhs.1.utf8)
            }
            return lhs.0.utf8.lexicographicallyPrecedes(rhs.0.utf8)
        }
        var out = ""
        out.reserveCapacity(sorted.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 2 })
        for (index, pair) in sorted.enumerated() {
            if index > 0 { out.append("&") }
            out.append(pair.0)
            out.append("=")
            out.append(pair.1)
        }
        return out
    }
}
