/// Comparisons whose running time does not depend on where the inputs differ.
public enum ConstantTime {
    /// Whether two byte sequences are equal, looking at every byte even after a difference, so that
    /// comparing a forged MAC with the right one does not reveal how many leading bytes matched.
    ///
    /// Only the lengths are compared early; they are not secret (a MAC's length is public).
    ///
    /// - Parameters:
    ///   - a: The first bytes.
    ///   - b: The second bytes.
    /// - Returns: `true` when both have the same length and the same bytes.
    public static func equals<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
    where A.Element == UInt8, B.Element == UInt8 {
        guard a.count == b.count else {
            return false
        }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) {
            difference |= x ^ y
        }
        return difference == 0
    }
}
