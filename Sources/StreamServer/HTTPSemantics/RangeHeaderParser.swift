/// One range-spec of a `bytes` Range header (RFC 9110 §14.1.2), before it is resolved against a size.
///
/// Numbers too large for `UInt64` saturate to `UInt64.max`. No representation has a byte at that offset, so this
/// is exact rather than an approximation: a saturated first-pos stays unsatisfiable, a saturated last-pos clamps
/// to the last byte, and a saturated suffix-length selects the whole representation (RFC 9110 §14.1.1 asks
/// recipients to "anticipate potentially large decimal numerals").
enum ByteRangeSpec: Hashable, Sendable {
    /// `int-range = first-pos "-" [ last-pos ]`; `last` is nil when absent. Always `first <= last`.
    case from(first: UInt64, last: UInt64?)
    /// `suffix-range = "-" suffix-length`: the last `length` bytes.
    case suffix(length: UInt64)
}

/// The syntactic result of reading a Range field value.
enum ParsedRangeHeader: Hashable, Sendable {
    /// Why a Range header is ignored; every reason leads to a full 200 response.
    enum IgnoreReason: Hashable, Sendable {
        /// Not `range-unit "=" range-set`, an invalid range-spec (`5-2`, `abc`, `-`), or no range-spec at all.
        /// RFC 9110 §14.2: a server MAY ignore an invalid ranges-specifier; unlike Go's `net/http` (416) we do,
        /// because a full 200 is something every client can use.
        case malformed
        /// A unit other than `bytes`: an origin server MUST ignore it (RFC 9110 §14.2).
        case unsupportedUnit
        /// More range-specs than the cap: a broken client or a CVE-2011-3192-style attack (RFC 9110 §14.2, §17.15).
        case tooManyRanges
    }

    case ignored(IgnoreReason)
    case byteRanges([ByteRangeSpec])
}

/// Parses `Range` field values: `ranges-specifier = range-unit "=" range-set` (RFC 9110 §14.1.1).
///
/// Deliberate leniencies, all of which Go's `net/http` or nginx share and none of which can turn a valid request
/// into a different one: OWS around `=` and around the `-` of a range-spec, and empty list elements
/// (`bytes=0-1,,5-6`, which RFC 9110 §5.6.1 says recipients MUST accept).
enum RangeHeaderParser {
    static func parse(_ value: String, maximumRangeCount: Int) -> ParsedRangeHeader {
        let bytes = HTTPFieldSyntax.trimmed(Array(value.utf8)[...])
        var index = bytes.startIndex
        while index < bytes.endIndex, HTTPFieldSyntax.isTokenCharacter(bytes[index]) { index += 1 }
        let unit = bytes[bytes.startIndex..<index]
        while index < bytes.endIndex, HTTPFieldSyntax.isWhitespace(bytes[index]) { index += 1 }
        guard !unit.isEmpty, index < bytes.endIndex, bytes[index] == UInt8(ascii: "=") else {
            return .ignored(.malformed)
        }
        // Range units are compared case-insensitively (RFC 9110 §14.1).
        guard Self.isBytesUnit(unit) else { return .ignored(.unsupportedUnit) }
        index += 1

        // range-set = 1#range-spec: scan element by element rather than splitting, so a header made of a
        // million commas costs no allocation and stops at the cap.
        var specs: [ByteRangeSpec] = []
        while index <= bytes.endIndex {
            var elementEnd = index
            while elementEnd < bytes.endIndex, bytes[elementEnd] != UInt8(ascii: ",") { elementEnd += 1 }
            let element = HTTPFieldSyntax.trimmed(bytes[index..<elementEnd])
            index = elementEnd + 1
            if element.isEmpty { continue }
            guard specs.count < maximumRangeCount else { return .ignored(.tooManyRanges) }
            guard let spec = Self.parseSpec(element) else { return .ignored(.malformed) }
            specs.append(spec)
        }
        return specs.isEmpty ? .ignored(.malformed) : .byteRanges(specs)
    }

    private static let bytesUnit = Array("bytes".utf8)

    private static func isBytesUnit(_ unit: ArraySlice<UInt8>) -> Bool {
        guard unit.count == Self.bytesUnit.count else { return false }
        // Setting bit 0x20 lower-cases ASCII letters; on the other tchars it can only produce a non-letter,
        // which then fails the comparison with "bytes" anyway.
        var offset = 0
        while offset < unit.count {
            if unit[unit.startIndex + offset] | 0x20 != Self.bytesUnit[offset] { return false }
            offset += 1
        }
        return true
    }

    /// `range-spec = int-range / suffix-range` for the bytes unit; `element` is trimmed and non-empty.
    private static func parseSpec(_ element: ArraySlice<UInt8>) -> ByteRangeSpec? {
        var index = element.startIndex
        let firstDigits = Self.scanDigits(element, from: &index)
        while index < element.endIndex, HTTPFieldSyntax.isWhitespace(element[index]) { index += 1 }
        guard index < element.endIndex, element[index] == UInt8(ascii: "-") else { return nil }
        index += 1
        while index < element.endIndex, HTTPFieldSyntax.isWhitespace(element[index]) { index += 1 }
        let lastDigits = Self.scanDigits(element, from: &index)
        guard index == element.endIndex else { return nil }

        if firstDigits.isEmpty {
            guard !lastDigits.isEmpty else { return nil }
            return .suffix(length: Self.saturatingValue(lastDigits))
        }
        guard !lastDigits.isEmpty else {
            return .from(first: Self.saturatingValue(firstDigits), last: nil)
        }
        // "An int-range is invalid if the last-pos value is present and less than the first-pos" (§14.1.1).
        // Compared on the digits, so the rule still holds for numbers beyond UInt64.
        guard HTTPFieldSyntax.compareDecimal(lastDigits, firstDigits) >= 0 else { return nil }
        return .from(first: Self.saturatingValue(firstDigits), last: Self.saturatingValue(lastDigits))
    }

    private static func scanDigits(_ bytes: ArraySlice<UInt8>, from index: inout Int) -> ArraySlice<UInt8> {
        let start = index
        while index < bytes.endIndex, HTTPFieldSyntax.isDigit(bytes[index]) { index += 1 }
        return bytes[start..<index]
    }

    /// The decimal value of `digits`, or `UInt64.max` when it does not fit (see ``ByteRangeSpec``).
    private static func saturatingValue(_ digits: ArraySlice<UInt8>) -> UInt64 {
        var value: UInt64 = 0
        var index = digits.startIndex
        while index < digits.endIndex {
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = shifted.addingReportingOverflow(UInt64(digits[index] &- UInt8(ascii: "0")))
            if overflowA || overflowB { return .max }
            value = sum
            index += 1
        }
        return value
    }
}
