/// The rules every object key follows, enforced identically by every ``ObjectStore``.
///
/// A key is a UTF-8 string of 1 to 1024 bytes (the S3 limit) made of `/`-separated segments.
/// So that a key maps safely onto a path under the file-system store's root, and means the same
/// thing on both stores, a key must not:
/// - start with `/`, end with `/`, or contain an empty segment (`a//b`);
/// - contain a `.` or `..` segment;
/// - contain NUL or another control character (U+0000–U+001F, U+007F), or a backslash (some
///   S3 servers, SeaweedFS among them, turn `\` into `/`);
/// - have a segment longer than 255 bytes (the usual file-name limit);
/// - start with the reserved segment `.veza` (the file-system store's own area).
///
/// Everything else is allowed, including spaces, unicode, `+`, `%`, `~`, `!`, `'`, `(`, `)`, `*`.
public enum ObjectKey {
    /// The longest key in UTF-8 bytes.
    public static let maxLength = 1024
    /// The longest segment in UTF-8 bytes.
    public static let maxSegmentLength = 255
    /// The first segment reserved for the file-system store.
    static let reservedSegment = ".veza"

    /// Checks that `key` follows the rules.
    ///
    /// - Parameter key: The object key.
    /// - Throws: ``StorageError/invalidKey`` with a message naming the broken rule.
    public static func validate(_ key: String) throws {
        if let problem = self.problem(with: key) {
            throw StorageError.invalidKey.with(message: "Invalid object key: \(problem).", key: key)
        }
    }

    /// Checks a listing prefix: like a key, but it may be empty, end with `/` or end inside a segment.
    ///
    /// - Parameter prefix: The key prefix.
    /// - Throws: ``StorageError/invalidKey`` with a message naming the broken rule.
    public static func validatePrefix(_ prefix: String) throws {
        guard !prefix.isEmpty else { return }
        var trimmed = prefix
        let endsWithSlash = trimmed.hasSuffix("/")
        if endsWithSlash { trimmed.removeLast() }
        // A trailing partial segment like "a/." or "a/.." is still a prefix of valid keys
        // ("a/.x"), so only complete segments are checked for dots.
        var complete = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        if !endsWithSlash { complete.removeLast() }
        let problem: String?
        if trimmed.isEmpty {
            problem = "it must not start with \"/\""
        } else if let issue = self.problem(with: trimmed, checkDots: false) {
            problem = issue
        } else if complete.contains(where: { $0 == "." || $0 == ".." }) {
            problem = "it must not contain \".\" or \"..\" segments"
        } else {
            problem = nil
        }
        if let problem {
            throw StorageError.invalidKey.with(message: "Invalid key prefix: \(problem).", key: prefix)
        }
    }

    /// A description of the first rule `key` breaks, or nil when it is valid.
    static func problem(with key: String, checkDots: Bool = true) -> String? {
        if self.followsEveryRule(key) { return nil }
        if key.isEmpty { return "it must not be empty" }
        let length = key.utf8.count
        if length > self.maxLength { return "it is \(length) bytes long, the limit is \(self.maxLength)" }
        if key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "it must not contain NUL or other control characters"
        }
        if key.utf8.contains(UInt8(ascii: "\\")) { return "it must not contain a backslash" }
        if key.hasPrefix("/") { return "it must not start with \"/\" (keys are relative)" }
        if key.hasSuffix("/") { return "it must not end with \"/\"" }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        if segments.contains(where: \.isEmpty) { return "it must not contain empty segments (\"//\")" }
        if checkDots, segments.contains(where: { $0 == "." || $0 == ".." }) {
            return "it must not contain \".\" or \"..\" segments"
        }
        if let long = segments.first(where: { $0.utf8.count > self.maxSegmentLength }) {
            return "the segment \"\(long.prefix(32))…\" is longer than \(self.maxSegmentLength) bytes"
        }
        if segments.first == Substring(self.reservedSegment) {
            return "the first segment \"\(self.reservedSegment)\" is reserved"
        }
        return nil
    }

    /// One pass over the UTF-8 bytes that answers true only for a key breaking none of the rules
    /// (every key a route builds); ``problem(with:checkDots:)`` then skips its detailed checks,
    /// which run on every request otherwise. False says nothing: the detailed checks decide.
    static func followsEveryRule(_ key: String) -> Bool {
        let slash = UInt8(ascii: "/")
        let dot = UInt8(ascii: ".")
        var count = 0
        var segmentLength = 0
        var segmentDots = 0
        var segmentIndex = 0
        var firstSegmentIsReserved = false
        // Returns false when the segment that just ended breaks a rule.
        func endSegment() -> Bool {
            if segmentLength == 0 || segmentLength > Self.maxSegmentLength { return false }
            if segmentDots == segmentLength && segmentLength <= 2 { return false }
            if segmentIndex == 0 && firstSegmentIsReserved { return false }
            segmentIndex += 1
            segmentLength = 0
            segmentDots = 0
            return true
        }
        var reserved = Self.reservedSegment.utf8.makeIterator()
        var reservedMatches = true
        for byte in key.utf8 {
            count += 1
            if byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\\") { return false }
            if byte == slash {
                if segmentIndex == 0 { firstSegmentIsReserved = reservedMatches && reserved.next() == nil }
                guard endSegment() else { return false }
                continue
            }
            if segmentIndex == 0, reservedMatches { reservedMatches = reserved.next() == byte }
            segmentLength += 1
            if byte == dot { segmentDots += 1 }
        }
        if segmentIndex == 0 { firstSegmentIsReserved = reservedMatches && reserved.next() == nil }
        return count > 0 && count <= Self.maxLength && endSegment()
    }
}
