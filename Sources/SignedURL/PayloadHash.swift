import Crypto

/// What a SigV4 signature says about the request body: the last line of the canonical request and,
/// for S3, the value of `x-amz-content-sha256`.
public enum PayloadHash: Sendable, Hashable {
    /// The body is not covered by the signature (`UNSIGNED-PAYLOAD`); S3 accepts this over TLS and it
    /// is what presigned URLs use, since the body is not known when the URL is made.
    case unsigned
    /// The lowercase hex SHA-256 of a body that is known before the request is sent.
    case sha256(hex: String)

    /// The SHA-256 of an empty body.
    public static let empty: PayloadHash = .sha256(
        hex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )

    /// Hashes a body held in memory.
    ///
    /// - Parameter body: The exact bytes that will be sent.
    /// - Returns: ``sha256(hex:)`` of those bytes.
    public static func hashing<Body: Sequence>(_ body: Body) -> PayloadHash where Body.Element == UInt8 {
        var hasher = SHA256()
        let contiguous: Void? = body.withContiguousStorageIfAvailable {
            hasher.update(bufferPointer: UnsafeRawBufferPointer($0))
        }
        if contiguous == nil {
            hasher.update(data: Array(body))
        }
        return .sha256(hex: Hex.lowercase(hasher.finalize()))
    }

    /// The text that goes into the canonical request and `x-amz-content-sha256`.
    ///
    /// Lowercased because S3 compares the header against a lowercase digest and the canonical request
    /// must match byte for byte.
    var value: String {
        switch self {
        case .unsigned: return "UNSIGNED-PAYLOAD"
        case .sha256(let hex): return hex.lowercased()
        }
    }
}
