/// The pieces of an absolute request URL that SigV4 needs, found by hand.
///
/// Foundation's `URL`/`URLComponents` would re-encode the path and query by their own rules and
/// allocate more than a presign should cost, so the string is only sliced here. The scan works on
/// UTF-8 bytes: every delimiter is ASCII, and `Character`-based searching was most of the cost of a
/// presign.
struct RequestURL {
    /// `scheme://authority` exactly as given, or empty for a URL with no authority.
    let origin: Substring
    /// The `Host` header the client will send: `host[:port]`, the port left out when it is the
    /// scheme's default (80 for http, 443 for https). `nil` when the URL has no authority.
    let hostHeader: String?
    /// The path as given (already percent-encoded); may be empty.
    let path: Substring
    /// The query after `?` and before any `#`, or `nil` when there is no `?`.
    let query: Substring?

    init(_ url: String) {
        let bytes = url.utf8
        // A fragment is never sent.
        let end = bytes.firstIndex(of: UInt8(ascii: "#")) ?? bytes.endIndex
        let question = bytes[..<end].firstIndex(of: UInt8(ascii: "?"))
        self.query = question.map { url[bytes.index(after: $0)..<end] }
        let beforeQuery = question ?? end

        guard let separator = Self.schemeSeparator(in: bytes[..<beforeQuery]) else {
            self.origin = url[url.startIndex..<url.startIndex]
            self.hostHeader = nil
            self.path = url[url.startIndex..<beforeQuery]
            return
        }
        let authorityStart = bytes.index(separator, offsetBy: 3)
        let pathStart = bytes[authorityStart..<beforeQuery].firstIndex(of: UInt8(ascii: "/")) ?? beforeQuery
        self.origin = url[url.startIndex..<pathStart]
        self.path = url[pathStart..<beforeQuery]

        var authority = bytes[authorityStart..<pathStart]
        if let at = authority.lastIndex(of: UInt8(ascii: "@")) {
            authority = authority[authority.index(after: at)...]
        }
        guard !authority.isEmpty else {
            self.hostHeader = nil
            return
        }
        // The port follows the last `:` that is outside an IPv6 literal (`[::1]:9000`).
        var host = authority
        var port = authority[authority.endIndex...]
        if let colon = authority.lastIndex(of: UInt8(ascii: ":")),
            !authority[colon...].contains(UInt8(ascii: "]"))
        {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        }
        let scheme = bytes[..<separator]
        let isDefaultPort =
            (Self.equalsIgnoringCase(scheme, "http") && port.elementsEqual("80".utf8))
            || (Self.equalsIgnoringCase(scheme, "https") && port.elementsEqual("443".utf8))
        if port.isEmpty || isDefaultPort {
            self.hostHeader = String(url[host.startIndex..<host.endIndex])
        } else {
            self.hostHeader = String(url[host.startIndex..<port.endIndex])
        }
    }

    /// The canonical URI: the path re-canonicalised segment by segment, `/` when empty.
    var canonicalURI: String {
        self.path.isEmpty ? "/" : AWSURIEncoding.canonicalize(encoded: self.path, keepingSlash: true)
    }

    /// The index of `://`, if the text has one.
    private static func schemeSeparator(in bytes: Substring.UTF8View) -> String.Index? {
        var index = bytes.startIndex
        while let colon = bytes[index...].firstIndex(of: UInt8(ascii: ":")) {
            let rest = bytes[colon...]
            if rest.starts(with: "://".utf8) {
                return colon
            }
            index = bytes.index(after: colon)
        }
        return nil
    }

    private static func equalsIgnoringCase(_ bytes: Substring.UTF8View, _ lowercase: String) -> Bool {
        bytes.count == lowercase.utf8.count
            && zip(bytes, lowercase.utf8).allSatisfy { ($0 | 0x20) == $1 }
    }
}
