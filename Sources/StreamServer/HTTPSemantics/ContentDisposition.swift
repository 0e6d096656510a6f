/// A `Content-Disposition` field for a download (RFC 6266), naming the file after a track title that may hold any
/// Unicode: `attachment; filename="Bjork - Joga.flac"; filename*=UTF-8''Bj%C3%B6rk%20-%20J%C3%B3ga.flac`.
///
/// `filename*` (RFC 8187 encoding, RFC 6266 §4.3) carries the real name and every current browser uses it;
/// `filename` is the ASCII fallback for the rest. Both are always sent, `filename` first, as §4.3 recommends.
struct ContentDisposition: Hashable, Sendable {
    enum Kind: String, Hashable, Sendable {
        case attachment
        case inline
    }

    /// The longest base name kept, in UTF-8 bytes, so base, dot and extension stay under the 255-byte file-name
    /// limit of common file systems.
    static let maximumBaseNameBytes = 200
    static let maximumExtensionLength = 16
    /// Used when nothing printable is left of the title.
    static let defaultBaseName = "download"

    let kind: Kind
    /// The sanitised Unicode file name, extension included, sent as `filename*`.
    let fileName: String
    /// The ASCII fallback, extension included, sent as `filename`.
    let asciiFileName: String

    /// Builds the names from a track title and a file extension (`"flac"` or `".flac"`).
    ///
    /// In both names: control characters become spaces, bidirectional overrides (the `"evil\u{202E}3pm.exe"`
    /// trick) are dropped, `/` and `\` become `_` so no name can carry a path, whitespace runs collapse, leading
    /// and trailing dots and spaces go (hidden files, Windows' trailing-dot stripping), and the base name is cut,
    /// on a character boundary, at ``maximumBaseNameBytes``. The extension keeps only ASCII letters and digits.
    init(title: String, fileExtension: String, kind: Kind = .attachment) {
        let base = Self.sanitisedBaseName(title)
        let extensionScalars = fileExtension.unicodeScalars.filter(Self.isASCIIAlphanumeric)
        let ext = String(String.UnicodeScalarView(extensionScalars.prefix(Self.maximumExtensionLength)))
        let suffix = ext.isEmpty ? "" : "." + ext
        self.kind = kind
        self.fileName = base + suffix
        self.asciiFileName = Self.asciiFallback(base) + suffix
    }

    /// The field value.
    var headerValue: String {
        "\(self.kind.rawValue); filename=\"\(self.asciiFileName)\"; filename*=UTF-8''\(Self.percentEncoded(self.fileName))"
    }

    static func sanitisedBaseName(_ title: String) -> String {
        var collapsed = ""
        var pendingSpace = false
        for character in title {
            var kept = String.UnicodeScalarView()
            for scalar in character.unicodeScalars {
                switch scalar.properties.generalCategory {
                case .control, .lineSeparator, .paragraphSeparator, .spaceSeparator:
                    pendingSpace = true
                    continue
                default:
                    break
                }
                if scalar.properties.isWhitespace {
                    pendingSpace = true
                } else if Self.isBidiControl(scalar) {
                    continue
                } else {
                    kept.append(scalar == "/" || scalar == "\\" ? "_" : scalar)
                }
            }
            guard !kept.isEmpty else { continue }
            let piece = String(kept)
            if pendingSpace, !collapsed.isEmpty { collapsed.append(" ") }
            pendingSpace = false
            if collapsed.utf8.count + piece.utf8.count > Self.maximumBaseNameBytes { break }
            collapsed.append(piece)
        }
        let isTrimmed: (Character) -> Bool = { $0 == "." || $0 == " " }
        guard let first = collapsed.firstIndex(where: { !isTrimmed($0) }),
            let last = collapsed.lastIndex(where: { !isTrimmed($0) })
        else { return Self.defaultBaseName }
        return String(collapsed[first...last])
    }

    /// U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069: invisible characters that reorder how a name is
    /// displayed (Unicode TR9), and U+FEFF. Zero-width joiners stay, emoji and several scripts need them.
    static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF: true
        default: false
        }
    }

    /// The `filename` value: printable ASCII without `"` and `\` (which would need quoted-pair escaping that
    /// user agents handle inconsistently) and without `%` (RFC 6266 Appendix D: some agents percent-decode it).
    /// Latin-1 letters lose their accents, typographic dashes and quotes become ASCII ones, and any other run of
    /// non-ASCII characters becomes one `_`. With no ASCII letter or digit left, the name is ``defaultBaseName``.
    static func asciiFallback(_ base: String) -> String {
        var result = ""
        for character in base {
            let scalars = character.unicodeScalars
            let first = scalars.first!
            let replacement: String
            if first.isASCII {
                // A base letter followed only by combining marks (decomposed "e\u{301}") keeps its letter.
                replacement =
                    scalars.count == 1 || scalars.dropFirst().allSatisfy(Self.isCombiningMark)
                    ? Self.asciiReplacement(first) : "_"
            } else if scalars.count == 1 || scalars.dropFirst().allSatisfy(Self.isCombiningMark),
                let folded = Self.foldedLatin(first)
            {
                replacement = folded
            } else {
                replacement = "_"
            }
            if replacement == "_", result.hasSuffix("_") { continue }
            result += replacement
        }
        // "…" folds to "...", which must not turn the fallback into a hidden file.
        let visible = String(result.drop { $0 == "." || $0 == " " })
        return visible.unicodeScalars.contains(where: Self.isASCIIAlphanumeric) ? visible : Self.defaultBaseName
    }

    private static func isASCIIAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "0"..."9", "a"..."z", "A"..."Z": true
        default: false
        }
    }

    private static func isCombiningMark(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .nonspacingMark
    }

    private static func asciiReplacement(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\"": "'"
        case "\\", "%": "_"
        default: String(scalar)
        }
    }

    /// U+00C0-U+00FF as ASCII, in order; "_" for the two symbols in the block (× and ÷).
    private static let latin1Letters: [String] = [
        "A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I", "I",
        "D", "N", "O", "O", "O", "O", "O", "_", "O", "U", "U", "U", "U", "Y", "Th", "ss",
        "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
        "d", "n", "o", "o", "o", "o", "o", "_", "o", "u", "u", "u", "u", "y", "th", "y",
    ]

    private static func foldedLatin(_ scalar: Unicode.Scalar) -> String? {
        switch scalar.value {
        case 0xC0...0xFF: Self.latin1Letters[Int(scalar.value - 0xC0)]
        case 0x2010...0x2015: "-"
        case 0x2018...0x201F, 0x2032, 0x2033: "'"
        case 0x2026: "..."
        default: nil
        }
    }

    /// RFC 8187 §3.2.1 `value-chars`: UTF-8 bytes, every byte outside `attr-char` written as `%XX`.
    static func percentEncoded(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(value.utf8.count * 3)
        for byte in value.utf8 {
            if Self.isAttributeCharacter(byte) {
                bytes.append(byte)
            } else {
                bytes.append(contentsOf: [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `attr-char = ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"`.
    private static func isAttributeCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            true
        default:
            "!#$&+-.^_`|~".utf8.contains(byte)
        }
    }
}
