import Crypto
import Foundation

/// The text SigV4 hashes and signs, and the pieces of a signature, kept apart from the public entry
/// points so that tests can compare them with the published canonical requests.
extension SigV4Signer {
    static let algorithm = "AWS4-HMAC-SHA256"

    /// Everything computed for one signature; the public methods return parts of it.
    struct Signing {
        var canonicalRequest: String
        var stringToSign: String
        var signature: String
        /// `host;x-amz-date`, as it appears in `SignedHeaders=`.
        var signedHeaders: String
    }

    /// Headers in canonical form: names lowercased, values trimmed with inner runs of spaces collapsed
    /// to one, repeated names merged with `,` in the order given, sorted by name.
    struct CanonicalHeaders {
        private(set) var entries: [(name: String, value: String)] = []

        init(_ headers: [(name: String, value: String)]) {
            var normalized = headers.map { (name: Self.normalizeName($0.name), value: Self.normalizeValue($0.value)) }
            if normalized.count > 1 {
                // Stable sort, so that the values of a repeated header keep their order when merged.
                normalized = normalized.enumerated().sorted { lhs, rhs in
                    if lhs.element.name == rhs.element.name {
                        return lhs.offset < rhs.offset
                    }
                    return lhs.element.name.utf8.lexicographicallyPrecedes(rhs.element.name.utf8)
                }.map(\.element)
            }
            for header in normalized {
                if let last = self.entries.last, last.name == header.name {
                    self.entries[self.entries.count - 1].value += "," + header.value
                } else {
                    self.entries.append(header)
                }
            }
        }

        var block: String {
            var out = ""
            for entry in self.entries {
                out += entry.name
                out += ":"
                out += entry.value
                out += "\n"
            }
            return out
        }

        var signedHeaders: String {
            self.entries.map(\.name).joined(separator: ";")
        }

        static func normalizeName(_ name: String) -> String {
            let trimmed = Self.trim(name)
            // Names are nearly always lowercase already (HTTP/2 requires it); skip the copy then.
            if !trimmed.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) {
                return String(trimmed)
            }
            return trimmed.lowercased()
        }

        static func normalizeValue(_ value: String) -> String {
            let trimmed = Self.trim(value)
            var out: [UInt8] = []
            out.reserveCapacity(trimmed.utf8.count)
            var previousWasSpace = false
            for byte in trimmed.utf8 {
                if byte == UInt8(ascii: " ") {
                    if previousWasSpace { continue }
                    previousWasSpace = true
                } else {
                    previousWasSpace = false
                }
                out.append(byte)
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// Drops leading and trailing spaces and tabs, scanning bytes (both are ASCII).
        private static func trim(_ text: String) -> Substring {
            let bytes = text.utf8
            let isBlank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            guard let first = bytes.firstIndex(where: { !isBlank($0) }),
                let last = bytes.lastIndex(where: { !isBlank($0) })
            else {
                return text[text.endIndex...]
            }
            return text[first..<bytes.index(after: last)]
        }
    }

    func sign(
        method: String,
        canonicalURI: String,
        canonicalQuery: String,
        headers: CanonicalHeaders,
        payload: PayloadHash,
        stamp: AmzDate.Stamp
    ) -> Signing {
        let signedHeaders = headers.signedHeaders
        var canonicalRequest = ""
        canonicalRequest.reserveCapacity(512)
        canonicalRequest += method
        canonicalRequest += "\n"
        canonicalRequest += canonicalURI
        canonicalRequest += "\n"
        canonicalRequest += canonicalQuery
        canonicalRequest += "\n"
        canonicalRequest += headers.block
        canonicalRequest += "\n"
        canonicalRequest += signedHeaders
        canonicalRequest += "\n"
        canonicalRequest += payload.value

        var stringToSign = Self.algorithm
        stringToSign.reserveCapacity(160)
        stringToSign += "\n"
        stringToSign += stamp.timestamp
        stringToSign += "\n"
        stringToSign += self.credentialScope(stamp)
        stringToSign += "\n"
        stringToSign += Hex.lowercase(Self.sha256(canonicalRequest))

        var mac = self.keyCache.keyedHMAC(
            secret: self.credentials.secretAccessKey,
            dateStamp: stamp.dateStamp,
            region: self.region,
            service: self.service
        )
        Self.update(&mac, with: stringToSign)
        let signature = Hex.lowercase(mac.finalize())
        return Signing(
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signature: signature,
            signedHeaders: signedHeaders
        )
    }

    /// Hashes a string's UTF-8 without copying it when it is stored contiguously (native strings are).
    static func sha256(_ text: String) -> SHA256.Digest {
        var hasher = SHA256()
        let done: Void? = text.utf8.withContiguousStorageIfAvailable {
            hasher.update(bufferPointer: UnsafeRawBufferPointer($0))
        }
        if done == nil {
            hasher.update(data: Array(text.utf8))
        }
        return hasher.finalize()
    }

    static func update(_ mac: inout HMAC<SHA256>, with text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable {
            mac.update(data: UnsafeRawBufferPointer($0))
        }
        if done == nil {
            mac.update(data: Array(text.utf8))
        }
    }

    func credentialScope(_ stamp: AmzDate.Stamp) -> String {
        "\(stamp.dateStamp)/\(self.region)/\(self.service)/aws4_request"
    }
}
