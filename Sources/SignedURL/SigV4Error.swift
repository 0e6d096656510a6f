/// An error from ``SigV4Signer``.
///
/// A struct wrapping a private code so that cases can be added without breaking callers; compare
/// with the static members (`error == .expiresOutOfRange`). Equality ignores the detail text.
public struct SigV4Error: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case expiresOutOfRange
        case invalidURL
    }

    private let code: Code
    private let detail: String?

    private init(code: Code, detail: String? = nil) {
        self.code = code
        self.detail = detail
    }

    /// `X-Amz-Expires` was outside 1...604800 seconds (7 days, the most SigV4 allows).
    public static let expiresOutOfRange = SigV4Error(code: .expiresOutOfRange)

    /// The URL to presign has no `scheme://host`.
    public static let invalidURL = SigV4Error(code: .invalidURL)

    static func expiresOutOfRange(_ expires: Int) -> SigV4Error {
        SigV4Error(code: .expiresOutOfRange, detail: "got \(expires)")
    }

    static func invalidURL(_ url: String) -> SigV4Error {
        SigV4Error(code: .invalidURL, detail: "got \"\(url)\"")
    }

    public var description: String {
        let message: String
        switch self.code {
        case .expiresOutOfRange:
            message = "expires must be between 1 and 604800 seconds"
        case .invalidURL:
            message = "a presigned URL needs an absolute URL with scheme and host"
        }
        if let detail = self.detail {
            return "SigV4Error: \(message) (\(detail))"
        }
        return "SigV4Error: \(message)"
    }

    public static func == (lhs: SigV4Error, rhs: SigV4Error) -> Bool {
        lhs.code == rhs.code
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
    }
}
