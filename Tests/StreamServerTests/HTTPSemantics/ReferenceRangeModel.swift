@testable import StreamServer

/// A second, deliberately naive implementation of the Range policy, for differential fuzzing.
///
/// It shares no code with `RangeHeaderParser`/`RangeDecision`: it works on Unicode scalars with `split`, keeps
/// every number as a decimal string, reads it with the standard library's `UInt64.init?(_:)` and compares
/// numbers too large for that as strings, so an overflow or off-by-one bug in the real parser cannot be mirrored.
enum ReferenceRangeModel {
    static func decide(_ header: String?, size: UInt64, maximumRangeCount: Int = 16) -> RangeDecision {
        guard let header else { return .full }
        let value = trim(Array(header.unicodeScalars)[...])
        guard let equals = value.firstIndex(of: "=") else { return .full }
        let unit = trim(value[..<equals])
        guard !unit.isEmpty, unit.allSatisfy(isTokenCharacter),
            String(String.UnicodeScalarView(unit)).lowercased() == "bytes"
        else { return .full }

        let elements = value[value.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false)
            .map(trim).filter { !$0.isEmpty }
        guard !elements.isEmpty, elements.count <= maximumRangeCount else { return .full }

        var specs: [(first: String?, last: String?)] = []
        for element in elements {
            guard let dash = element.firstIndex(of: "-") else { return .full }
            let first = trim(element[..<dash])
            let last = trim(element[element.index(after: dash)...])
            guard first.allSatisfy(isDigit), last.allSatisfy(isDigit), !(first.isEmpty && last.isEmpty) else {
                return .full
            }
            let (a, b) = (String(String.UnicodeScalarView(first)), String(String.UnicodeScalarView(last)))
            if !a.isEmpty, !b.isEmpty, less(b, a) { return .full }
            specs.append((a.isEmpty ? nil : a, b.isEmpty ? nil : b))
        }
        guard size > 0 else { return .full }

        let sizeDigits = String(size)
        var ranges: [ResolvedByteRange] = []
        for spec in specs {
            if let first = spec.first {
                guard less(first, sizeDigits) else { continue }
                let end: UInt64
                if let last = spec.last, less(last, sizeDigits) {
                    end = UInt64(last)!
                } else {
                    end = size - 1
                }
                ranges.append(ResolvedByteRange(start: UInt64(first)!, end: end))
            } else if let suffix = spec.last, UInt64(suffix) != 0 {
                let start = less(suffix, sizeDigits) ? size - UInt64(suffix)! : 0
                ranges.append(ResolvedByteRange(start: start, end: size - 1))
            }
        }
        switch ranges.count {
        case 0: return .unsatisfiable
        case 1: return .partial(ranges[0])
        default:
            // Pairwise overlap test; disjoint ranges of one representation cannot add up to more than it.
            for i in ranges.indices {
                for j in ranges.indices where i < j {
                    if ranges[i].start <= ranges[j].end && ranges[j].start <= ranges[i].end { return .full }
                }
            }
            return .multipart(ranges)
        }
    }

    private static func trim(_ text: ArraySlice<Unicode.Scalar>) -> ArraySlice<Unicode.Scalar> {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("0"..."9").contains(scalar)
    }

    private static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || isDigit(scalar)
            || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar)
    }

    private static func normalised(_ digits: String) -> String {
        let stripped = digits.drop { $0 == "0" }
        return stripped.isEmpty ? "0" : String(stripped)
    }

    /// `lhs < rhs` for decimal strings of any length.
    private static func less(_ lhs: String, _ rhs: String) -> Bool {
        switch (UInt64(lhs), UInt64(rhs)) {
        case (let a?, let b?): return a < b
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil):
            let (a, b) = (normalised(lhs), normalised(rhs))
            return a.count != b.count ? a.count < b.count : a < b
        }
    }
}
