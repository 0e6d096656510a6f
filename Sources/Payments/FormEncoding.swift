import SignedURL

/// `application/x-www-form-urlencoded` bodies as Stripe reads them: `key=value&…`, nested
/// dictionaries as `metadata[key]=value`.
enum FormEncoding {
    /// Encodes pairs in the order given; keys and values percent-encoded (RFC 3986 unreserved kept).
    static func encode(_ pairs: [(String, String)]) -> [UInt8] {
        Array(pairs.map { AWSURIEncoding.encode($0.0) + "=" + AWSURIEncoding.encode($0.1) }.joined(separator: "&").utf8)
    }

    /// `metadata[key]` pairs, keys sorted so the same metadata is always the same body (an
    /// idempotent replay compares parameters).
    static func metadata(_ metadata: [String: String]) -> [(String, String)] {
        metadata.sorted { $0.key < $1.key }.map { ("metadata[\($0.key)]", $0.value) }
    }
}
