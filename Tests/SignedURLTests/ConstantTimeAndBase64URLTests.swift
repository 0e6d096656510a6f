import Testing

@testable import SignedURL

@Suite("Constant-time comparison and base64url")
struct ConstantTimeAndBase64URLTests {
    @Test("equals compares length and every byte")
    func equals() {
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
        #expect(ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 4] as [UInt8]))
        #expect(!ConstantTime.equals([0, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!ConstantTime.equals([1, 2] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!ConstantTime.equals([UInt8](), [0] as [UInt8]))
        // Mixed collection types.
        #expect(ConstantTime.equals([9, 1, 2, 3][1...] as ArraySlice<UInt8>, "\u{1}\u{2}\u{3}".utf8))
    }

    /// RFC 4648 §10 test vectors, padding removed (base64url and base64 agree on these).
    @Test(
        "encodes the RFC 4648 vectors",
        arguments: [
            ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ]
    )
    func rfc4648(_ plain: String, _ encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test("uses - and _ instead of + and /")
    func urlAlphabet() {
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
    }

    @Test("decoding is strict", arguments: ["Zg==", "Zh", "Zm9=", "Z", "Zm9v!", "Zm+v", "Zm/v", " Zm9v", "Zm9vY"])
    func strict(_ text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test("round-trips every length")
    func roundTrip() {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }
}
