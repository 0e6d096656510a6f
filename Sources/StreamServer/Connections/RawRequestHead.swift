import HTTPTypes

/// A request head as ``ImmediateAnswerHandler`` reads it from a connection's bytes, ahead of the
/// HTTP/1.1 decoder.
///
/// Only the plainest heads are read here: `GET` or `HEAD` of an origin-form target, `HTTP/1.1`,
/// every line ended by CRLF, field names that are tokens, values of visible ASCII, spaces and tabs,
/// one `Host`, and nothing that frames a body or changes the protocol (`Content-Length`,
/// `Transfer-Encoding`, `Upgrade`, `Expect`). Such a head is one request without a body for any
/// HTTP/1.1 parser, the decoder included, so the connection's bytes split at the same place
/// whichever of the two reads them. Everything else is ``other``: the decoder reads it, and with
/// it the rest of the connection (its framing rules, limits and errors stay the only ones).
enum RawRequestHead: Equatable {
    /// No complete head yet (and fewer than ``maxBytes`` bytes).
    case incomplete
    /// A complete plain head, the first `length` bytes.
    case plain(HTTPRequest, length: Int, asksToClose: Bool)
    /// Anything else.
    case other

    /// The longest head read here (the decoder allows longer ones).
    static let maxBytes = 8 * 1024
    /// The most fields a head read here has.
    static let maxFields = 64

    /// Reads the head at the start of `bytes`.
    static func read(_ bytes: UnsafeRawBufferPointer) -> RawRequestHead {
        var scanner = Scanner(bytes: bytes)
        return scanner.head()
    }
}

extension RawRequestHead {
    fileprivate struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
        }

        /// What `read` answers; each step returns early with `other` or `incomplete`.
        mutating func head() -> RawRequestHead {
            // The request line: method SP origin-form SP HTTP/1.1 CRLF.
            guard let line = self.line() else { return self.shortOrOther }
            guard let line else { return .other }
            guard let methodEnd = line.firstIndex(of: .space) else { return .other }
            let method: HTTPRequest.Method
            let methodBytes = line[line.startIndex..<methodEnd]
            if methodBytes.elementsEqual("GET".utf8) {
                method = .get
            } else if methodBytes.elementsEqual("HEAD".utf8) {
                method = .head
            } else {
                return .other
            }
            let targetStart = methodEnd + 1
            guard let targetEnd = line[targetStart...].firstIndex(of: .space),
                targetEnd > targetStart, self.bytes[targetStart] == UInt8(ascii: "/"),
                line[targetStart..<targetEnd].allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
                line[(targetEnd + 1)...].elementsEqual("HTTP/1.1".utf8)
            else { return .other }
            let path = self.string(line[targetStart..<targetEnd])

            var fields = HTTPFields()
            var authority: String?
            var asksToClose = false
            while true {
                guard let line = self.line() else { return self.shortOrOther }
                guard let line else { return .other }
                if line.isEmpty { break }
                guard fields.count < RawRequestHead.maxFields,
                    let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                    line[line.startIndex..<colon].allSatisfy(Self.isTokenByte)
                else { return .other }
                var value = line[(colon + 1)...]
                guard value.allSatisfy({ $0 == .tab || ($0 >= 0x20 && $0 < 0x7F) }) else { return .other }
                while let first = value.first, first == .space || first == .tab { value = value.dropFirst() }
                while let last = value.last, last == .space || last == .tab { value = value.dropLast() }
                guard let name = HTTPField.Name(self.string(line[line.startIndex..<colon])) else { return .other }
                let text = self.string(value)
                switch name {
                case .contentLength, .transferEncoding, .upgrade, .expect:
                    return .other
                case .connection:
                    asksToClose = asksToClose || Self.hasCloseOption(text)
                case Self.host:
                    guard authority == nil else { return .other }
                    // As the HTTP/1 conversion does: the Host is the authority, not a field.
                    authority = text
                    continue
                default:
                    break
                }
                fields.append(HTTPField(name: name, value: text))
            }
            guard let authority else { return .other }
            let request = HTTPRequest(
                method: method,
                scheme: "http",
                authority: authority,
                path: path,
                headerFields: fields
            )
            return .plain(request, length: self.index, asksToClose: asksToClose)
        }

        /// Not complete yet, or complete enough to know it is too long.
        var shortOrOther: RawRequestHead {
            self.bytes.count >= RawRequestHead.maxBytes ? .other : .incomplete
        }

        /// The next line without its CRLF: nil when it is not complete yet, `.some(nil)` when it
        /// has a CR or LF that is not a CRLF.
        mutating func line() -> Slice<UnsafeRawBufferPointer>?? {
            let end = min(self.bytes.count, RawRequestHead.maxBytes)
            var index = self.index
            while index < end {
                switch self.bytes[index] {
                case .carriageReturn:
                    guard index + 1 < end else { return nil }
                    guard self.bytes[index + 1] == .lineFeed else { return .some(nil) }
                    let line = self.bytes[self.index..<index]
                    self.index = index + 2
                    return .some(line)
                case .lineFeed:
                    return .some(nil)
                default:
                    index += 1
                }
            }
            return nil
        }

        func string(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
            String(decoding: bytes, as: UTF8.self)
        }

        /// `Host`, which swift-http-types names only as the `:authority` pseudo-field.
        static let host = HTTPField.Name("Host")!

        /// RFC 9110 §5.6.2's tchar.
        static func isTokenByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }

        /// Whether a `Connection` value has the `close` option (any case).
        static func hasCloseOption(_ value: String) -> Bool {
            value.utf8.split(separator: UInt8(ascii: ",")).contains { option in
                let letters = option.filter { $0 != .space && $0 != .tab }
                return letters.count == 5 && zip(letters, "close".utf8).allSatisfy { $0 | 0x20 == $1 }
            }
        }
    }
}

extension UInt8 {
    fileprivate static let space = UInt8(ascii: " ")
    fileprivate static let tab = UInt8(ascii: "\t")
    fileprivate static let carriageReturn = UInt8(ascii: "\r")
    fileprivate static let lineFeed = UInt8(ascii: "\n")
}
