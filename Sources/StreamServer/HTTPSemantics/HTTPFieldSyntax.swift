/// Byte-level building blocks shared by the field-value parsers in this folder.
///
/// The parsers work on the UTF-8 bytes of a field value: every delimiter in these grammars is ASCII, so slicing
/// at delimiter positions never splits a multi-byte scalar, and each check is a comparison or two.
enum HTTPFieldSyntax {
    /// OWS = *( SP / HTAB ) (RFC 9110 §5.6.3).
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    /// DIGIT (RFC 5234 Appendix B.1).
    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    /// tchar (RFC 9110 §5.6.2): the characters a token such as a range unit may contain.
    ///
    /// ALPHA, DIGIT and fifteen symbols, as two 64-bit masks over ASCII with one bit per byte value, because the
    /// parsers test every byte of a field value with it. A unit test checks the masks against the RFC's list.
    @inline(__always)
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        if byte < 64 { return (0x03FF_6CFA_0000_0000 as UInt64) >> byte & 1 == 1 }
        if byte < 128 { return (0x57FF_FFFF_C7FF_FFFE as UInt64) >> (byte - 64) & 1 == 1 }
        return false
    }

    /// Field values are trimmed of leading and trailing whitespace before evaluation (RFC 9110 §5.5).
    static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var lower = bytes.startIndex
        var upper = bytes.endIndex
        while lower < upper, isWhitespace(bytes[lower]) { lower += 1 }
        while upper > lower, isWhitespace(bytes[upper - 1]) { upper -= 1 }
        return bytes[lower..<upper]
    }

    /// The field value, or nil when the field is absent or blank (only OWS).
    ///
    /// A field sent with an empty value is treated as absent, as Go's `net/http` does for all the conditional
    /// fields: there is nothing to evaluate, and some proxies forward blank headers.
    static func presentValue(_ value: String?) -> String? {
        guard let value, value.utf8.contains(where: { !isWhitespace($0) }) else { return nil }
        return value
    }

    /// Compares two runs of decimal digits numerically, whatever their length (leading zeros allowed).
    ///
    /// Used where both numbers may exceed `UInt64`, so that `bytes=99999999999999999999-1` is still seen as an
    /// invalid range (last-pos < first-pos, RFC 9110 §14.1.1) rather than mistaken for an unsatisfiable one.
    static func compareDecimal(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Int {
        var left = lhs.startIndex
        while left < lhs.endIndex, lhs[left] == UInt8(ascii: "0") { left += 1 }
        var right = rhs.startIndex
        while right < rhs.endIndex, rhs[right] == UInt8(ascii: "0") { right += 1 }
        let (leftCount, rightCount) = (lhs.endIndex - left, rhs.endIndex - right)
        if leftCount != rightCount { return leftCount < rightCount ? -1 : 1 }
        while left < lhs.endIndex {
            if lhs[left] != rhs[right] { return lhs[left] < rhs[right] ? -1 : 1 }
            left += 1
            right += 1
        }
        return 0
    }
}
