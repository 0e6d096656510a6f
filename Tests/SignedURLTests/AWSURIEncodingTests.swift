import Testing

@testable import SignedURL

@Suite("AWS URI encoding")
struct AWSURIEncodingTests {
    @Test(
        "query components encode everything but A-Z a-z 0-9 - . _ ~",
        arguments: [
            ("plain-Key_0.9~", "plain-Key_0.9~"),
            ("my key", "my%20key"),
            ("a+b", "a%2Bb"),
            ("100%", "100%25"),
            ("%20", "%2520"),
            ("!", "%21"),
            ("'()*", "%27%28%29%2A"),
            ("$&,/:;=?@", "%24%26%2C%2F%3A%3B%3D%3F%40"),
            ("#[]", "%23%5B%5D"),
            ("é", "%C3%A9"),
            ("ሴ", "%E1%88%B4"),
            ("🎵", "%F0%9F%8E%B5"),
            ("tab\there", "tab%09here"),
            ("", ""),
        ]
    )
    func component(_ input: String, _ expected: String) {
        #expect(AWSURIEncoding.encode(input) == expected)
    }

    @Test(
        "paths keep slashes and are not normalised",
        arguments: [
            ("/bucket/my key+é", "/bucket/my%20key%2B%C3%A9"),
            ("/test$file.text", "/test%24file.text"),
            ("/a//b/./../c/", "/a//b/./../c/"),
            ("/tracks/42/hls/seg 001.ts", "/tracks/42/hls/seg%20001.ts"),
            ("/k/~user/it's (1)*!.mp3", "/k/~user/it%27s%20%281%29%2A%21.mp3"),
            ("/50%/a+b", "/50%25/a%2Bb"),
            ("/", "/"),
        ]
    )
    func path(_ input: String, _ expected: String) {
        #expect(AWSURIEncoding.encodePath(input) == expected)
    }

    @Test("canonical query sorts by encoded key, then value")
    func canonicalQuery() {
        #expect(AWSURIEncoding.canonicalQuery([("prefix", "J"), ("max-keys", "2")]) == "max-keys=2&prefix=J")
        #expect(AWSURIEncoding.canonicalQuery([("lifecycle", "")]) == "lifecycle=")
        #expect(AWSURIEncoding.canonicalQuery([("k", "b"), ("k", "a")]) == "k=a&k=b")
        // Sorting joined "k=v" strings would put Param-3 first ('-' < '=').
        #expect(
            AWSURIEncoding.canonicalQuery([("Param-3", "Value3"), ("Param", "Value2"), ("ሴ", "Value1")])
                == "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        )
        // Uppercase sorts before lowercase (bytes, not locale).
        #expect(AWSURIEncoding.canonicalQuery([("b", "1"), ("B", "2"), ("a", "3")]) == "B=2&a=3&b=1")
        #expect(
            AWSURIEncoding.canonicalQuery([("response-content-disposition", "attachment; filename=\"a b.mp3\"")])
                == "response-content-disposition=attachment%3B%20filename%3D%22a%20b.mp3%22"
        )
        #expect(AWSURIEncoding.canonicalQuery([("q", "a b+c")]) == "q=a%20b%2Bc")
        #expect(AWSURIEncoding.canonicalQuery([]) == "")
    }

    @Test(
        "already-encoded text is put into canonical form",
        arguments: [
            ("%7e", false, "~"),
            ("%41", false, "A"),
            ("%c3%a9", false, "%C3%A9"),
            ("%C3%A9", false, "%C3%A9"),
            ("a b", false, "a%20b"),
            ("50%", false, "50%25"),
            ("%zz", false, "%25zz"),
            ("%2", false, "%252"),
            ("a/b", false, "a%2Fb"),
            ("/a%2Fb/c", true, "/a%2Fb/c"),
            ("/é", true, "/%C3%A9"),
            ("/seg%20001.ts", true, "/seg%20001.ts"),
        ]
    )
    func canonicalize(_ input: String, _ keepingSlash: Bool, _ expected: String) {
        #expect(AWSURIEncoding.canonicalize(encoded: input, keepingSlash: keepingSlash) == expected)
    }

    @Test("encoding then canonicalising is a no-op")
    func encodedIsCanonical() {
        for key in ["/bucket/my key+é", "/a/%/b", "/~!*'()", "/ሴ/🎵", "/x%2Fy"] {
            let encoded = AWSURIEncoding.encodePath(key)
            #expect(AWSURIEncoding.canonicalize(encoded: encoded, keepingSlash: true) == encoded)
        }
    }

    @Test("raw query strings are split into canonical pairs")
    func queryPairs() {
        let pairs = AWSURIEncoding.canonicalPairs(fromEncodedQuery: "b=2&&a&c=x=y&d=%7e")
        #expect(pairs.map { "\($0.0)=\($0.1)" } == ["b=2", "a=", "c=x%3Dy", "d=~"])
        #expect(AWSURIEncoding.canonicalPairs(fromEncodedQuery: "").isEmpty)
    }
}
