/// An entity tag (RFC 9110 §8.8.3): `"opaque"` or, weak, `W/"opaque"`.
struct EntityTag: Hashable, Sendable, CustomStringConvertible {
    /// The characters between the quotes.
    let opaqueTag: String
    let isWeak: Bool

    /// A tag for the `ETag` response field; nil if `opaqueTag` has a character `etagc` does not allow
    /// (a double quote, a control character, a space).
    init?(opaqueTag: String, isWeak: Bool = false) {
        guard opaqueTag.utf8.allSatisfy(Self.isTagCharacter) else { return nil }
        self.opaqueTag = opaqueTag
        self.isWeak = isWeak
    }

    /// Parses exactly one entity-tag, surrounded by optional whitespace (the `If-Range` and `ETag` forms).
    init?(parsing value: String) {
        let bytes = HTTPFieldSyntax.trimmed(Array(value.utf8)[...])
        var index = bytes.startIndex
        guard let tag = Self.scan(bytes, at: &index), index == bytes.endIndex else { return nil }
        self = tag
    }

    private init(uncheckedOpaqueTag: String, isWeak: Bool) {
        self.opaqueTag = uncheckedOpaqueTag
        self.isWeak = isWeak
    }

    /// The field value: `"abc"` or `W/"abc"`.
    var headerValue: String { self.isWeak ? "W/\"\(self.opaqueTag)\"" : "\"\(self.opaqueTag)\"" }

    var description: String { self.headerValue }

    /// Strong comparison (RFC 9110 §8.8.3.2): both strong and the same opaque tag. Used by If-Match and If-Range.
    func strongMatches(_ other: EntityTag) -> Bool {
        !self.isWeak && !other.isWeak && self.opaqueTag == other.opaqueTag
    }

    /// Weak comparison (RFC 9110 §8.8.3.2): the same opaque tag, weakness ignored. Used by If-None-Match.
    func weakMatches(_ other: EntityTag) -> Bool {
        self.opaqueTag == other.opaqueTag
    }

    /// `etagc = %x21 / %x23-7E / obs-text` (RFC 9110 §8.8.3): visible ASCII except `"`, plus any non-ASCII byte.
    @inline(__always)
    static func isTagCharacter(_ byte: UInt8) -> Bool {
        byte == 0x21 || (byte >= 0x23 && byte != 0x7F)
    }

    /// Scans `entity-tag = [ weak ] opaque-tag` at `index`, leaving `index` after the closing quote.
    /// `weak = %s"W/"` is case-sensitive, so `w/"x"` is malformed.
    static func scan(_ bytes: ArraySlice<UInt8>, at index: inout Int) -> EntityTag? {
        var cursor = index
        var isWeak = false
        if cursor + 1 < bytes.endIndex, bytes[cursor] == UInt8(ascii: "W"), bytes[cursor + 1] == UInt8(ascii: "/") {
            isWeak = true
            cursor += 2
        }
        guard cursor < bytes.endIndex, bytes[cursor] == UInt8(ascii: "\"") else { return nil }
        cursor += 1
        let opaqueStart = cursor
        while cursor < bytes.endIndex, Self.isTagCharacter(bytes[cursor]) { cursor += 1 }
        guard cursor < bytes.endIndex, bytes[cursor] == UInt8(ascii: "\"") else { return nil }
        // The slice is bounded by ASCII quotes, so it holds whole UTF-8 scalars and decodes losslessly.
        let opaque = String(decoding: bytes[opaqueStart..<cursor], as: UTF8.self)
        index = cursor + 1
        return EntityTag(uncheckedOpaqueTag: opaque, isWeak: isWeak)
    }
}

/// The value of `If-Match` or `If-None-Match`: `"*" / #entity-tag` (RFC 9110 §13.1.1, §13.1.2).
enum EntityTagCondition: Hashable, Sendable {
    /// `*`: any current representation.
    case any
    /// A list of tags; it may be empty (`#` allows it, e.g. a value of only commas), and then nothing matches.
    case tags([EntityTag])

    /// Parses the field value; nil when it is malformed, which callers treat as "no tag matches" so that a bad
    /// header can neither crash the server nor unlock a 304 or a write.
    ///
    /// Strict on purpose: `*` must stand alone (a list containing `*` is malformed), and an element that is not
    /// an entity-tag makes the whole list malformed instead of being skipped.
    init?(parsing value: String) {
        let bytes = HTTPFieldSyntax.trimmed(Array(value.utf8)[...])
        if bytes.count == 1, bytes.first == UInt8(ascii: "*") {
            self = .any
            return
        }
        var tags: [EntityTag] = []
        var index = bytes.startIndex
        // #element = [ element ] *( OWS "," OWS [ element ] ), empty elements allowed (RFC 9110 §5.6.1).
        // Commas can occur inside an opaque tag, so the list is scanned, never split on ",".
        while true {
            while index < bytes.endIndex, HTTPFieldSyntax.isWhitespace(bytes[index]) { index += 1 }
            guard index < bytes.endIndex else { break }
            if bytes[index] != UInt8(ascii: ",") {
                guard let tag = EntityTag.scan(bytes, at: &index) else { return nil }
                tags.append(tag)
                while index < bytes.endIndex, HTTPFieldSyntax.isWhitespace(bytes[index]) { index += 1 }
                guard index < bytes.endIndex else { break }
                guard bytes[index] == UInt8(ascii: ",") else { return nil }
            }
            index += 1
        }
        self = .tags(tags)
    }
}
