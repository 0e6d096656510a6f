/// An RFC 8259 check of a request body before it is decoded, for what Foundation's decoder lets
/// through: trailing commas, duplicate keys (the decoder keeps one of them silently), bodies that
/// are not UTF-8, and numbers with a fraction or exponent where the API wants integers.
///
/// The API's request bodies have no fractional fields, so a number with a fraction or exponent is
/// refused unless its field is named in `fractionalFields`.
struct StrictJSON {
    /// What is wrong, and where, for the `invalid_json` error message.
    struct Violation: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    /// The deepest nesting accepted.
    static let maximumDepth = 64

    private let bytes: [UInt8]
    private let fractionalFields: Set<String>
    private var index = 0
    private var path: [String] = []

    /// Checks `bytes`.
    ///
    /// - Parameter fractionalFields: Dotted paths (`loudness.lufs`) that may hold a fraction.
    /// - Throws: ``Violation``.
    static func validate(_ bytes: [UInt8], fractionalFields: Set<String> = []) throws {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw Violation(description: "the body is not UTF-8 text")
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw Violation(description: "the body starts with a byte order mark")
        }
        var parser = StrictJSON(bytes: bytes, fractionalFields: fractionalFields)
        parser.skipWhitespace()
        try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.violation("unexpected text after the JSON value") }
    }

    private init(bytes: [UInt8], fractionalFields: Set<String>) {
        self.bytes = bytes
        self.fractionalFields = fractionalFields
    }

    private var current: UInt8? { self.index < self.bytes.count ? self.bytes[self.index] : nil }

    private func violation(_ what: String) -> Violation {
        Violation(description: "the body is not valid JSON: \(what) at byte \(self.index)")
    }

    private var fieldName: String { self.path.isEmpty ? "the body" : "'" + self.path.joined(separator: ".") + "'" }

    private mutating func skipWhitespace() {
        while let byte = self.current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            self.index += 1
        }
    }

    private mutating func expect(_ literal: String) throws {
        for byte in literal.utf8 {
            guard self.current == byte else { throw self.violation("expected '\(literal)'") }
            self.index += 1
        }
    }

    private mutating func value(depth: Int) throws {
        guard depth < Self.maximumDepth else { throw self.violation("nesting deeper than \(Self.maximumDepth)") }
        switch self.current {
        case UInt8(ascii: "{"): try self.object(depth: depth)
        case UInt8(ascii: "["): try self.array(depth: depth)
        case UInt8(ascii: "\""): _ = try self.string()
        case UInt8(ascii: "t"): try self.expect("true")
        case UInt8(ascii: "f"): try self.expect("false")
        case UInt8(ascii: "n"): try self.expect("null")
        case .some(let byte) where byte == UInt8(ascii: "-") || (0x30...0x39).contains(byte): try self.number()
        default: throw self.violation("expected a value")
        }
    }

    private mutating func object(depth: Int) throws {
        self.index += 1
        var keys: Set<String> = []
        self.skipWhitespace()
        if self.current == UInt8(ascii: "}") {
            self.index += 1
            return
        }
        while true {
            self.skipWhitespace()
            guard self.current == UInt8(ascii: "\"") else {
                throw self.violation(keys.isEmpty ? "expected a key" : "a trailing comma or a key that is not a string")
            }
            let key = try self.string()
            guard keys.insert(key).inserted else {
                self.path.append(key)
                defer { self.path.removeLast() }
                throw Violation(description: "\(self.fieldName) appears more than once")
            }
            self.skipWhitespace()
            try self.expect(":")
            self.skipWhitespace()
            self.path.append(key)
            try self.value(depth: depth + 1)
            self.path.removeLast()
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "}"):
                self.index += 1
                return
            default: throw self.violation("expected ',' or '}'")
            }
        }
    }

    private mutating func array(depth: Int) throws {
        self.index += 1
        self.skipWhitespace()
        if self.current == UInt8(ascii: "]") {
            self.index += 1
            return
        }
        var element = 0
        while true {
            self.skipWhitespace()
            if self.current == UInt8(ascii: "]") { throw self.violation("a trailing comma") }
            self.path.append(String(element))
            try self.value(depth: depth + 1)
            self.path.removeLast()
            element += 1
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "]"):
                self.index += 1
                return
            default: throw self.violation("expected ',' or ']'")
            }
        }
    }

    /// A string, decoded (keys are compared decoded: `"a"` and `"\u0061"` are the same key).
    private mutating func string() throws -> String {
        self.index += 1
        var scalars = String.UnicodeScalarView()
        var run: [UInt8] = []
        func flush() {
            if !run.isEmpty { scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars) }
            run.removeAll()
        }
        while let byte = self.current {
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""):
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush()
                guard let escape = self.current else { break }
                self.index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    let unit = try self.hex4()
                    // A lone surrogate keeps its place as U+FFFD; only key equality depends on it.
                    if (0xD800..<0xDC00).contains(unit), self.current == UInt8(ascii: "\\") {
                        self.index += 1
                        try self.expect("u")
                        let low = try self.hex4()
                        let value = 0x10000 + ((unit - 0xD800) << 10) + (low &- 0xDC00)
                        scalars.append(
                            (0xDC00..<0xE000).contains(low) ? Unicode.Scalar(value) ?? "\u{FFFD}" : "\u{FFFD}"
                        )
                    } else {
                        scalars.append(Unicode.Scalar(unit) ?? "\u{FFFD}")
                    }
                default: throw self.violation("an invalid escape")
                }
            case 0x00..<0x20:
                throw self.violation("a control character inside a string")
            default:
                run.append(byte)
            }
        }
        throw self.violation("an unterminated string")
    }

    private mutating func hex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = self.current, let digit = Self.hexValue(byte) else {
                throw self.violation("an invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            self.index += 1
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() throws {
        func digits() throws {
            guard let byte = self.current, (0x30...0x39).contains(byte) else {
                throw self.violation("expected a digit")
            }
            while let byte = self.current, (0x30...0x39).contains(byte) { self.index += 1 }
        }
        if self.current == UInt8(ascii: "-") { self.index += 1 }
        if self.current == UInt8(ascii: "0") {
            self.index += 1
        } else {
            try digits()
        }
        var fractional = false
        if self.current == UInt8(ascii: ".") {
            self.index += 1
            try digits()
            fractional = true
        }
        if self.current == UInt8(ascii: "e") || self.current == UInt8(ascii: "E") {
            self.index += 1
            if self.current == UInt8(ascii: "+") || self.current == UInt8(ascii: "-") { self.index += 1 }
            try digits()
            fractional = true
        }
        if fractional, !self.fractionalFields.contains(self.path.joined(separator: ".")) {
            throw Violation(description: "\(self.fieldName) must be an integer (no fraction or exponent)")
        }
    }
}
